"""The preview's cards are Anki's cards: question and answer HTML equal what the official backend
renders after importing the built deck, card by card."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ankigen.build import read_notes
from ankigen.config import Config
from ankigen.errors import Diagnostics
from ankigen.notetypes import BASIC, CLOZE
from ankigen.preview import PreviewCard, preview_cards
from ankigen.preview.templates import render_card

from .conftest import SEED_NOTES, Project, import_apkg

LAB_NOTES = Path(__file__).parent / "preview" / "lab" / "notes"


def _built(tmp_path: Path, notes: Path) -> tuple[Path, list[PreviewCard]]:
    project = Project(tmp_path)
    project.root.mkdir(parents=True, exist_ok=True)
    result = project.build(str(notes), "-o", "deck.apkg")
    assert result.exit_code == 0, result.stderr
    diagnostics = Diagnostics()
    built = read_notes(Config(output=tmp_path / "build"), [notes], diagnostics)
    assert not diagnostics.errors
    return project.root / "deck.apkg", preview_cards(built)


def _anki_cards(col) -> dict[str, tuple[str, str]]:  # type: ignore[no-untyped-def]
    rendered = {}
    for card_id in col.find_cards(""):
        card = col.get_card(card_id)
        output = card.render_output()
        rendered[f"{card.note().guid}:{card.ord}"] = (output.question_text, output.answer_text)
    return rendered


def _assert_same(preview: list[PreviewCard], anki: dict[str, tuple[str, str]]) -> None:
    ours = {card.key: (card.question, card.answer) for card in preview}
    assert len(ours) == len(preview), "two preview cards share a key"
    assert set(ours) == set(anki)
    for key, (question, answer) in anki.items():
        assert ours[key][0] == question, f"question of {key}"
        assert ours[key][1] == answer, f"answer of {key}"


def test_every_seed_card_is_what_anki_renders(collection, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    apkg, preview = _built(tmp_path, SEED_NOTES)
    import_apkg(collection, apkg)
    anki = _anki_cards(collection)
    assert len(anki) == 51  # 33 basic cards, 3 reversed notes of 2 cards, 12 cloze cards
    _assert_same(preview, anki)
    clozes = [card for card in preview if card.note.kind == "cloze"]
    assert all('<span class="cloze" data-cloze=' in card.question for card in clozes)


def test_hints_nesting_formulas_and_headings_render_as_anki(collection, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    apkg, preview = _built(tmp_path, LAB_NOTES)
    import_apkg(collection, apkg)
    imported = _anki_cards(collection)
    ours = {card.key: card for card in preview}
    assert set(imported) <= set(ours)
    for key, (question, answer) in imported.items():
        assert (ours[key].question, ours[key].answer) == (question, answer), key
    # genanki writes no card for a deletion nested in another; Anki adds it when the note is
    # next checked, and the preview shows it already
    collection.after_note_updates(collection.find_notes(""), mark_modified=False)
    _assert_same(preview, _anki_cards(collection))

    html = "\n".join(card.question + card.answer for card in preview)
    assert "[organelle]" in html and "[role]" in html  # hints
    assert 'data-cloze="outer&#x20;&lt;span&#x20;class&#x3D;' in html  # nested, attribute-encoded
    assert "\\(x^[...] + y^3\\)" in html and "\\(x^2 + y^[power]\\)" in html  # in formulas
    assert 'Formula <span class="cloze" data-cloze="clozes" data-ordinal="1">[...]</span>' in html
    assert "[ sound:bell.mp3]" in html  # a `[sound:` tag is refused; field tests cover its look


def test_reversed_and_type_in_cards_render_as_anki(collection, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from ankigen.preview.templates import typed_answer_shown

    from .test_card_kinds import NOTES

    notes = tmp_path / "kinds"
    notes.mkdir()
    (notes / "d.md").write_text(NOTES, encoding="utf-8")
    apkg, preview = _built(tmp_path, notes)
    import_apkg(collection, apkg)
    _assert_same(preview, _anki_cards(collection))
    assert sorted((card.note.kind, card.ordinal) for card in preview) == [
        ("basic", 0),
        ("reversed", 0),
        ("reversed", 1),
        ("type", 0),
    ]
    (typed,) = [card for card in preview if card.note.kind == "type"]
    fields = {"Answer": typed.note.fields[3]}
    assert "<input type=text id=typeans" in typed_answer_shown(
        typed.question, fields, question=True
    )
    answer = typed_answer_shown(typed.answer, fields, question=False)
    assert "<code id=typeans>torch.no_grad() or torch.inference_mode()</code>" in answer
    assert collection.compare_answer(fields["Answer"], "") in answer  # Anki's, nothing typed


# --- arbitrary field text against the backend ---

_PIECES = st.sampled_from(
    [
        "{{c1::",
        "{{c2::",
        "{{c3::",
        "{{c0::",
        "{{c70000::",
        "}}",
        "::",
        ":",
        "{",
        "}",
        "\\(",
        "\\)",
        "\\[",
        "\\]",
        "<b>",
        "</b>",
        "<br>",
        "<!--",
        "-->",
        "&amp;",
        "'",
        '"',
        " ",
        "\n",
        "x",
        "é",
        "中",
        "[sound:a.mp3]",
        "[sound:",
        "]",
    ]
)
_FIELD = st.lists(_PIECES, max_size=14).map("".join)


@pytest.fixture(scope="module")
def lab_collection(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A collection holding the ankigen note types (from the lab deck)."""
    from anki.collection import Collection

    folder = tmp_path_factory.mktemp("lab-collection")
    apkg, _ = _built(folder / "project", LAB_NOTES)
    col = Collection(str(folder / "collection.anki2"))
    import_apkg(col, apkg)
    yield col
    col.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_FIELD, heading=_FIELD, ordinal=st.integers(0, 3))
def test_cloze_text_of_any_shape_renders_as_anki(lab_collection, text, heading, ordinal) -> None:  # type: ignore[no-untyped-def]
    col = lab_collection
    note = col.new_note(col.models.by_name(CLOZE.name))
    note["Text"], note["Heading"], note["Source"] = text, heading, "x.md"
    anki = note.ephemeral_card(ord=ordinal).render_output()
    ours = render_card(CLOZE.front, CLOZE.back, dict(note.items()), ordinal, is_cloze=True)
    assert (ours.question, ours.answer) == (anki.question_text, anki.answer_text)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(front=_FIELD, back=_FIELD, source=st.sampled_from(["", " <br> ", "a.md"]))
def test_basic_cards_and_empty_fields_render_as_anki(lab_collection, front, back, source) -> None:  # type: ignore[no-untyped-def]
    col = lab_collection
    note = col.new_note(col.models.by_name(BASIC.name))
    note["Front"], note["Back"], note["Source"] = front, back, source
    anki = note.ephemeral_card(ord=0).render_output()
    ours = render_card(BASIC.front, BASIC.back, dict(note.items()), 0, is_cloze=False)
    assert (ours.question, ours.answer) == (anki.question_text, anki.answer_text)


@pytest.mark.parametrize(
    ("front", "back"),
    [
        ("{{Front}}", "{{FrontSide}}<hr id=answer>{{Back}}"),
        ("{{#Back}}has back{{/Back}}{{^Back}}no back{{/Back}} {{Front}}", "{{ Back }}"),
        ("<!-- {{Missing}} -->{{Front}}", "{{FrontSide}}{{text:Back}}{{#Source}}!{{/Source}}"),
        ("{{{{Front}}}} {{::Front}}", "{{FrontSide}} [sound:b.ogg] {{Back}}"),
        ("{{Deck}}|{{Subdeck}}", "{{#Deck}}{{Deck}}{{/Deck}}{{^Subdeck}}none{{/Subdeck}}"),
    ],
)
def test_template_features_render_as_anki(lab_collection, front: str, back: str) -> None:  # type: ignore[no-untyped-def]
    col = lab_collection
    note = col.new_note(col.models.by_name(BASIC.name))
    note["Front"], note["Back"], note["Source"] = "<b>Q</b> [sound:a.mp3]", "A &amp; B", ""
    template = {"name": "Card 1", "qfmt": front, "afmt": back}
    anki = note.ephemeral_card(ord=0, custom_template=template).render_output()
    ours = render_card(front, back, dict(note.items()), 0, is_cloze=False)
    assert (ours.question, ours.answer) == (anki.question_text, anki.answer_text)


@pytest.mark.parametrize(
    "text",
    [
        "{{c1::" * 12 + "deep" + "}}" * 12,  # Anki ignores deletions opened ten deep
        "{{c1::a::b::c}} {{c2::x::}} {{c3::::hint}}",
        "{{C1::upper}} {{c1::lower}}",
        "{{c01::zero-padded}} {{c65535::max}} {{c65536::too big}}",
        "{{c1::never closed",
        "a {{c1::b {{c2::c}} d",  # the outer deletion is never closed: both vanish
        "{{c1,2::shared}} {{c2,,3::two}} {{c,1::one}} {{c000001::padded}}",  # several numbers
        "}} {{c2::a}} }}",
        "\\(x^{{c1::2}}\\) \\[<b>{{c2::y}}</b>\\) \\(a",
        "<!-- {{c1::in a comment}} --> {{c2::out}}",
    ],
)
def test_odd_cloze_text_renders_as_anki(lab_collection, text: str) -> None:  # type: ignore[no-untyped-def]
    col = lab_collection
    note = col.new_note(col.models.by_name(CLOZE.name))
    note["Text"], note["Heading"], note["Source"] = text, "", ""
    for ordinal in range(3):
        anki = note.ephemeral_card(ord=ordinal).render_output()
        ours = render_card(CLOZE.front, CLOZE.back, dict(note.items()), ordinal, is_cloze=True)
        assert (ours.question, ours.answer) == (anki.question_text, anki.answer_text), ordinal
