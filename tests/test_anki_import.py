"""End to end: the built package imported into a real Anki collection, as a user would see it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import SEED_NOTES, Project, import_apkg


@pytest.fixture(scope="module")
def seed_apkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = Project(tmp_path_factory.mktemp("seed"))
    project.root.mkdir(exist_ok=True)
    result = project.build(str(SEED_NOTES), "-o", "deck.apkg")
    assert result.exit_code == 0, result.stderr
    return project.root / "deck.apkg"


def _cards(col, query: str):  # type: ignore[no-untyped-def]
    return [col.get_card(cid) for cid in col.find_cards(query)]


def test_seed_deck_tree_notes_and_cards(collection, seed_apkg: Path) -> None:  # type: ignore[no-untyped-def]
    log = import_apkg(collection, seed_apkg)
    assert len(log.new) == 40 and len(log.updated) == 0
    names = {d.name for d in collection.decks.all_names_and_ids()}
    assert {"Deep Learning Flashcards", "Deep Learning Flashcards::Probability"} <= names
    assert collection.note_count() == 40
    # 33 basic notes, 3 reversed notes of 2 cards, and cloze notes with 5 + 3 + 2 + 2 deletions
    assert collection.card_count() == 33 + 3 * 2 + 5 + 3 + 2 + 2
    probability = _cards(collection, '"deck:Deep Learning Flashcards::Probability"')
    assert sorted(c.note()["Front"] for c in probability) == ["Product Rule", "Sum Rule"]
    assert all("Probability" in c.note().tags for c in probability)
    types = {m["name"]: [f["name"] for f in m["flds"]] for m in collection.models.all()}
    assert types["ankigen Basic"] == ["Front", "Back", "Source"]
    assert types["ankigen Cloze"] == ["Text", "Heading", "Source"]
    assert types["ankigen Basic (and reversed)"] == ["Front", "Back", "Source"]
    reversed_cards = _cards(collection, '"note:ankigen Basic (and reversed)"')
    assert sorted(c.note()["Front"] for c in reversed_cards if c.ord == 1) == [
        "Deterministic (lagorithm, process, model, etc..)",
        "Latency",
        "Transformers",
    ]


def test_seed_basic_card_renders_front_and_back(collection, seed_apkg: Path) -> None:  # type: ignore[no-untyped-def]
    import_apkg(collection, seed_apkg)
    (card,) = _cards(collection, '"Front:Cross-Entropy Loss (log loss)"')
    output = card.render_output()
    assert "Cross-Entropy Loss (log loss)" in output.question_text
    assert "binary" not in output.question_text
    answer = output.answer_text
    assert "\\(-\\sum_{c=1}^My_{o,c}\\log(p_{o,c})\\)" in answer
    assert '<span class="k">def</span>' in answer
    assert '<span class="nf">CrossEntropy</span>' in answer
    assert '<a href="https://ml-cheatsheet.readthedocs.io/en/latest/loss_functions.html">' in answer
    assert ".nightMode" in output.css
    (mixup,) = _cards(collection, '"Front:Mixup (Data augmentation technique)"')
    assert "\\(x_i\\) and \\(x_j\\)" in mixup.render_output().answer_text


def test_seed_cloze_card_hides_the_deletion(collection, seed_apkg: Path) -> None:  # type: ignore[no-untyped-def]
    import_apkg(collection, seed_apkg)
    cards = _cards(collection, '"Heading:Deep Learning Regularization Methods"')
    assert len(cards) == 5
    first = next(c for c in cards if c.ord == 0)
    output = first.render_output()
    assert "Deep Learning Regularization Methods" in output.question_text
    assert re.search(r'<span class="cloze"[^>]*>\[\.\.\.\]</span>', output.question_text)
    visible = re.sub(r"<[^>]+>", "", output.question_text)
    assert "[...]" in visible and "dropout" not in visible
    assert "weight decay" in visible  # the other deletions stay visible
    assert '<span class="cloze" data-ordinal="1">dropout</span>' in output.answer_text


def test_media_is_in_the_collection_and_referenced(
    collection,
    project: Project,  # type: ignore[no-untyped-def]
) -> None:
    from .test_render import PNG

    project.write("source_notes/deck.md", "# Pics\n\n## Dot\n\n![dot](dot.png)\n")
    (project.root / "source_notes" / "dot.png").write_bytes(PNG)
    assert project.build().exit_code == 0
    import_apkg(collection, project.apkg("pics"))
    (card,) = _cards(collection, "")
    name = re.search(r'src="([^"]+)"', card.render_output().answer_text).group(1)  # type: ignore[union-attr]
    assert name.startswith("ankigen-") and name.endswith(".png")
    assert (Path(collection.media.dir()) / name).read_bytes() == PNG
    check = collection.media.check()
    assert not check.missing and not check.unused


def _answer(col, card) -> None:  # type: ignore[no-untyped-def]
    card.start_timer()
    col.sched.answerCard(card, 3)


def test_update_story_edit_rebuild_reimport_keeps_note_and_review(
    collection,
    project: Project,  # type: ignore[no-untyped-def]
) -> None:
    project.write("source_notes/deck.md", "# D\n\n## Keep me\n\nold text\n\n## Other\n\nx\n")
    assert project.build(epoch=1_700_000_000).exit_code == 0
    import_apkg(collection, project.apkg("d"))
    (card,) = _cards(collection, '"Front:Keep me"')
    note_id, card_id = card.nid, card.id
    _answer(collection, collection.get_card(card_id))

    project.write("source_notes/deck.md", "# D\n\n## Keep me\n\nnew text\n\n## Other\n\nx\n")
    assert project.build(epoch=1_700_000_100).exit_code == 0
    log = import_apkg(collection, project.apkg("d"))
    assert len(log.updated) == 2 and len(log.new) == 0
    assert collection.note_count() == 2
    (card,) = _cards(collection, '"Front:Keep me"')
    assert (card.nid, card.id) == (note_id, card_id)
    assert "new text" in card.note()["Back"]
    assert card.reps == 1
    assert len(collection.db.list("select id from revlog where cid = ?", card_id)) == 1


def test_unchanged_rebuild_updates_nothing_and_user_edits_survive(
    collection,
    project: Project,  # type: ignore[no-untyped-def]
) -> None:
    project.write("source_notes/deck.md", "# D\n\n## Card\n\ntext\n")
    assert project.build(epoch=1_700_000_000).exit_code == 0
    import_apkg(collection, project.apkg("d"))
    note = collection.get_note(collection.find_notes("")[0])
    note["Back"] = "my own words"
    collection.update_note(note)
    assert project.build(epoch=1_700_000_000).exit_code == 0
    log = import_apkg(collection, project.apkg("d"))
    assert len(log.updated) == 0 and len(log.new) == 0
    assert collection.get_note(note.id)["Back"] == "my own words"


def test_moving_a_card_to_another_file_of_the_deck_keeps_its_note(
    collection,
    project: Project,  # type: ignore[no-untyped-def]
) -> None:
    project.write("source_notes/a.md", "---\ndeck: D\n---\n## Moved\n\none\n\n## Stays\n\ntwo\n")
    assert project.build(epoch=1_700_000_000).exit_code == 0
    import_apkg(collection, project.apkg("d"))
    project.write("source_notes/a.md", "---\ndeck: D\n---\n## Stays\n\ntwo\n")
    project.write("source_notes/b.md", "---\ndeck: D\n---\nintro\n\n## Moved\n\none, edited\n")
    assert project.build(epoch=1_700_000_500).exit_code == 0
    log = import_apkg(collection, project.apkg("d"))
    assert len(log.new) == 0
    assert collection.note_count() == 2


def test_nested_deletions_each_get_their_card(collection, project: Project) -> None:  # type: ignore[no-untyped-def]
    project.write("source_notes/d.md", "# D\n\n## Nested\n\n{{c1::outer {{c2::inner}} text}}\n")
    assert project.build().exit_code == 0
    import_apkg(collection, project.apkg("d"))
    cards = _cards(collection, "")
    assert sorted(c.ord for c in cards) == [0, 1]
    inner = next(c for c in cards if c.ord == 1)
    assert "[...]" in inner.render_output().question_text


def _headings(col, cids) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    cards = [col.get_card(cid) for cid in cids]
    return [(c.note().fields[NOTE_SORT_FIELD[c.note().note_type()["name"]]], c.ord) for c in cards]


# Front, Heading, Front
NOTE_SORT_FIELD = {"ankigen Basic": 0, "ankigen Cloze": 1, "ankigen Basic (and reversed)": 0}


def test_new_cards_are_due_in_the_notes_order(collection, seed_apkg: Path) -> None:  # type: ignore[no-untyped-def]
    import_apkg(collection, seed_apkg)
    rows = collection.db.all("SELECT id, due, type, queue FROM cards ORDER BY due, ord")
    assert {(type_, queue) for _, _, type_, queue in rows} == {(0, 0)}  # new cards
    assert [due for _, due, _, _ in rows] == list(range(1, 52))  # the importer keeps `due`
    order = _headings(collection, [cid for cid, *_ in rows])
    assert order[:8] == [
        ("Sum Rule", 0),  # first in the file, though its subdeck sorts last
        ("Product Rule", 0),
        ("Panoptic Segmentation", 0),
        ("Transformers", 0),
        ("Transformers", 1),  # reversed
        ("Attention", 0),
        *[("Deep Learning Regularization Methods", n) for n in range(2)],
    ]
    notes = [heading for heading, _ in order]
    assert notes == sorted(notes, key=notes.index)  # a note's cards are next to each other


def test_ascending_position_studies_the_notes_in_order(collection, seed_apkg: Path) -> None:  # type: ignore[no-untyped-def]
    import_apkg(collection, seed_apkg)
    top = collection.decks.id_for_name("Deep Learning Flashcards")
    config = collection.decks.config_dict_for_deck_id(top)
    config["newGatherPriority"] = 1  # "Ascending position"
    config["newSortOrder"] = 1  # "Order gathered"
    config["new"]["perDay"] = 51
    collection.decks.update_config(config)
    collection.decks.select(top)
    queued = collection.sched.get_queued_cards(fetch_limit=51).cards
    by_due = collection.db.list("SELECT id FROM cards ORDER BY due")
    assert [q.card.id for q in queued] == by_due


def test_the_package_leaves_anki_defaults_to_the_student(
    collection, seed_apkg: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    import json
    import sqlite3
    import zipfile

    with zipfile.ZipFile(seed_apkg) as archive:
        (tmp_path / "c.anki2").write_bytes(archive.read("collection.anki2"))
    connection = sqlite3.connect(tmp_path / "c.anki2")
    decks_json, models_json = connection.execute("SELECT decks, models FROM col").fetchone()
    connection.close()
    for deck in json.loads(decks_json).values():
        if deck["id"] == 1:
            continue
        assert [deck[key] for key in ("newToday", "revToday", "lrnToday", "timeToday")] == [
            [0, 0]
        ] * 4, deck["name"]
        assert deck["mod"] > 1_600_000_000 and deck["desc"] == "" and deck["conf"] == 1
    assert {model["did"] for model in json.loads(models_json).values()} == {1}
    import_apkg(collection, seed_apkg)
    decks = {d.id for d in collection.decks.all_names_and_ids()}
    for name in ("ankigen Basic", "ankigen Cloze"):
        # new notes of this type go to the student's Default deck, one that exists
        assert collection.models.by_name(name)["did"] == 1 in decks
    assert "--mark" not in collection.models.by_name("ankigen Basic")["css"]
