"""Reversed and type-in cards in a real collection: their cards as Anki renders them, the typed
answer's comparison, what `check` refuses, and a basic card turned reversed in a later release."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Project, import_apkg
from .preview.folder_text import page_with_cards

NOTES = """\
# D

## Softmax {#softmax .reversed}

Turns logits into probabilities.

## Disable gradients in PyTorch {#no-grad .type}

`torch.no_grad()` or
`torch.inference_mode()`

Both are context managers; the second is faster.

## Plain

A basic card.
"""


def _cards(col: Any, search: str) -> list[Any]:
    return sorted((col.get_card(c) for c in col.find_cards(search)), key=lambda c: c.ord)


def test_each_kind_makes_the_cards_anki_shows(collection: Any, project: Project) -> None:
    project.write("source_notes/d.md", NOTES)
    result = project.build()
    assert result.exit_code == 0, result.stderr
    assert "3 notes (1 basic, 1 reversed, 1 type-in, 0 cloze), 4 cards" in result.stdout
    log = import_apkg(collection, project.apkg("d"))
    assert len(log.new) == 3

    forward, backward = _cards(collection, '"Front:Softmax"')
    assert forward.note().note_type()["name"] == "ankigen Basic (and reversed)"
    assert (forward.ord, backward.ord) == (0, 1) and forward.nid == backward.nid
    question, answer = forward.render_output().question_text, forward.render_output().answer_text
    assert "Softmax" in question and "logits" not in question and "logits" in answer
    question, answer = backward.render_output().question_text, backward.render_output().answer_text
    assert "logits" in question and "Softmax" not in question
    assert answer.index("logits") < answer.index('<hr id="answer">') < answer.index("Softmax")

    (typed,) = _cards(collection, '"Front:Disable gradients*"')
    note = typed.note()
    assert note.note_type()["name"] == "ankigen Type-in"
    assert note["Answer"] == "torch.no_grad() or torch.inference_mode()"
    assert "context managers" in note["Back"] and "no_grad" not in note["Back"]
    output = typed.render_output()
    assert "[[type:Answer]]" in output.question_text and "context" not in output.question_text
    assert "[[type:Answer]]" in output.answer_text and "context managers" in output.answer_text
    right = collection.compare_answer(note["Answer"], "torch.no_grad() or torch.inference_mode()")
    assert "typeGood" in right and "typeBad" not in right and "typeMissed" not in right
    wrong = collection.compare_answer(note["Answer"], "torch.grad()")
    assert "typeMissed" in wrong

    (plain,) = _cards(collection, '"Front:Plain"')
    assert plain.note().note_type()["name"] == "ankigen Basic"


def test_a_type_in_cards_pictures_after_the_answer_are_drawn_in_place(
    collection: Any, project: Project
) -> None:
    notes = "# D\n\n## Softmax of two logits {.type}\n\n`0.269 0.731`\n\n"
    project.write("source_notes/d.md", notes + "```plot softmax\nlogits: [1, 2]\n```\n")
    assert project.build().exit_code == 0
    import_apkg(collection, project.apkg("d"))
    (card,) = _cards(collection, "")
    assert card.note()["Answer"] == "0.269 0.731"
    assert '<figure class="ankigen-plot"><img src="ankigen-' in card.note()["Back"]
    assert collection.media.check().missing == []


@pytest.mark.parametrize(
    ("body", "where", "message"),
    [
        ("## A {#a .type .reversed}\n\nx\n", "3:10", "`.type` and `.reversed` together"),
        ("## A {#a .reversed}\n\na ==b== c\n", "3:10", "a cloze card cannot be reversed"),
        ("## A {.type}\n\n{{c1::b}}\n", "3:7", "a cloze card cannot be type-in"),
        (
            "## A {.type}\n\nan *emphasised* word\n",
            "5:4",
            "holds emphasis",
        ),
        ("## A {.type}\n\nthe formula $x^2$\n", "5:13", "holds a formula"),
        ("## A {.type}\n\n![a cat](cat.png)\n", "5:1", "holds a picture"),
        ("## A {.type}\n\n[a link](https://example.org)\n", "5:1", "holds a link"),
        (
            "## A {.type}\n\n- a list\n",
            "5:1",
            "its body starts with a bullet list",
        ),
        (
            "## A {.type}\n\n&nbsp;\n",
            "5:1",
            "answer (the body's first paragraph) is empty",
        ),
    ],
)
def test_check_refuses_what_a_kind_cannot_do(
    project: Project, body: str, where: str, message: str
) -> None:
    project.write("source_notes/cat.png", "not really a picture")
    project.write("source_notes/d.md", "# D\n\n" + body)
    result = project.run("check")
    assert result.exit_code == 1
    (line,) = (result.stdout + result.stderr).splitlines()[:-1]
    assert line.startswith(f"source_notes/d.md:{where}: error: ") and message in line


def _import(col: Any, path: Any, merge: bool) -> Any:
    from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest

    options = ImportAnkiPackageOptions(merge_notetypes=merge)
    request = ImportAnkiPackageRequest(package_path=str(path), options=options)
    log = col.import_anki_package(request).log
    col.models._clear_cache()
    return log


@pytest.mark.parametrize("merge", [False, True], ids=["default", "merge note types"])
def test_a_basic_card_marked_reversed_keeps_its_note_and_reviews_when_merged(
    collection: Any, project: Project, merge: bool
) -> None:
    """The design's promise (docs/releases.md, *Changing a card's kind*): with "Merge note
    types" the note, its card and its review stay, and the reverse card is added; with the
    default options the note stays as it was and never updates, as `diff` warns."""
    notes = "# D\n\n## Softmax {{#softmax{}}}\n\n{}\n"
    project.write("source_notes/d.md", notes.format("", "Turns logits into probabilities."))
    assert project.build(epoch=1_700_000_000).exit_code == 0
    _import(collection, project.apkg("d"), merge=False)
    (note_id,) = collection.find_notes("")
    (card,) = _cards(collection, "")
    card.start_timer()
    collection.sched.answerCard(card, 3)

    project.write("source_notes/d.md", notes.format(" .reversed", "Maps logits to probabilities."))
    assert project.build(epoch=1_700_000_100).exit_code == 0
    log = _import(collection, project.apkg("d"), merge=merge)
    assert collection.find_notes("") == [note_id]
    note = collection.get_note(note_id)
    if not merge:
        assert len(log.conflicting) == 1 and len(log.updated) == 0
        assert note.note_type()["name"] == "ankigen Basic" and "Turns" in note["Back"]
        assert [c.id for c in note.cards()] == [card.id]
        return
    assert len(log.conflicting) == 0 and len(log.updated) == 1
    assert note.note_type()["name"] == "ankigen Basic (and reversed)"
    assert "Maps logits" in note["Back"]
    first, second = sorted(note.cards(), key=lambda c: c.ord)
    assert first.id == card.id and first.reps == 1
    assert collection.db.scalar("select count() from revlog where cid = ?", card.id) == 1
    assert second.ord == 1 and second.reps == 0

    # Later releases update it with the default options.
    project.write("source_notes/d.md", notes.format(" .reversed", "Logits to probabilities."))
    assert project.build(epoch=1_700_000_200).exit_code == 0
    log = _import(collection, project.apkg("d"), merge=False)
    assert len(log.updated) == 1 and len(log.conflicting) == 0
    assert collection.get_note(note_id)["Back"] == "<p>Logits to probabilities.</p>"


def _shape(col: Any, name: str) -> tuple[int, int]:
    model = col.models.by_name(name)
    return len(model["flds"]), len(model["tmpls"])


def test_merging_keeps_a_basic_card_turned_type_in_and_the_basic_note_type_as_it_was(
    collection: Any, project: Project
) -> None:
    notes = "# D\n\n## No gradients {{#no-grad{}}}\n\n`torch.no_grad()`\n"
    project.write("source_notes/d.md", notes.format("") + "\n## Other\n\nbasic\n")
    assert project.build(epoch=1_700_000_000).exit_code == 0
    _import(collection, project.apkg("d"), merge=False)
    (card,) = _cards(collection, '"Front:No gradients"')
    card.start_timer()
    collection.sched.answerCard(card, 3)

    project.write("source_notes/d.md", notes.format(" .type") + "\n## Other\n\nbasic\n")
    assert project.build(epoch=1_700_000_100).exit_code == 0
    log = _import(collection, project.apkg("d"), merge=True)
    assert len(log.conflicting) == 0 and len(log.new) == 0  # both notes update (newer times)
    (kept,) = _cards(collection, '"Front:No gradients"')
    assert kept.id == card.id and kept.reps == 1
    assert kept.note().note_type()["name"] == "ankigen Type-in"
    assert kept.note()["Answer"] == "torch.no_grad()"
    assert _shape(collection, "ankigen Basic") == (3, 1)  # the other notes' type is untouched
    assert _shape(collection, "ankigen Type-in") == (4, 1)


def test_merging_a_reversed_card_back_into_a_basic_one_reshapes_the_basic_note_type(
    collection: Any, project: Project
) -> None:
    """Why `diff` tells students not to merge that change (docs/releases.md): the Basic note
    type gets the reverse template, and the next default import no longer matches it."""
    notes = "# D\n\n## Softmax {{#softmax{}}}\n\nlogits\n\n## Other\n\nbasic\n"
    project.write("source_notes/d.md", notes.format(" .reversed"))
    assert project.build(epoch=1_700_000_000).exit_code == 0
    _import(collection, project.apkg("d"), merge=False)
    project.write("source_notes/d.md", notes.format(""))
    assert project.build(epoch=1_700_000_100).exit_code == 0
    _import(collection, project.apkg("d"), merge=True)
    assert _shape(collection, "ankigen Basic") == (3, 2)
    project.write("source_notes/d.md", notes.format("").replace("basic", "basic, edited"))
    assert project.build(epoch=1_700_000_200).exit_code == 0
    log = _import(collection, project.apkg("d"), merge=False)
    assert len(log.conflicting) == 2 and len(log.updated) == 0  # every basic note stops updating
    assert collection.models.by_name("ankigen Basic+") is not None


def test_diff_warns_when_a_card_changes_kind(project: Project) -> None:
    project.write("source_notes/d.md", "# D\n\n## A {#a}\n\nx\n\n## B {#b .reversed}\n\ny\n")
    assert project.build("-o", "old.apkg").exit_code == 0
    project.write("source_notes/d.md", "# D\n\n## A {#a .reversed}\n\nx\n\n## B {#b}\n\ny\n")
    assert project.build("-o", "new.apkg", epoch=1_700_000_100).exit_code == 0
    lines = project.run("diff", "old.apkg", "new.apkg").stdout.splitlines()
    (upgraded,) = [line for line in lines if "warning: A:" in line]
    assert "from `ankigen Basic` to `ankigen Basic (and reversed)`" in upgraded
    assert '"Merge note types" checked keeps the note, its card and its reviews' in upgraded
    (downgraded,) = [line for line in lines if "warning: B:" in line]
    assert "give the card a new `{#id}`" in downgraded
    assert 'not to import it with "Merge note types"' in downgraded


def test_the_preview_shows_both_directions_and_the_answer_box(project: Project) -> None:
    project.write("source_notes/d.md", NOTES)
    assert project.run("preview").exit_code == 0
    page = page_with_cards(project.root / "build" / "preview")
    assert "Reversed · card 1 of 2" in page and "Reversed · card 2 of 2" in page
    assert page.count("<input type=text id=typeans") == 1  # on the type-in card's front
    assert "<code id=typeans>torch.no_grad() or torch.inference_mode()</code>" in page
    assert "[[type:" not in page
