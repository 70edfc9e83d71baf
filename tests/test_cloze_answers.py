"""The warning for a cloze whose answer its own card's front shows, in `check` and `build` alike."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ankigen.cloze_answers import deletions

from .conftest import SEED_NOTES, Project
from .helpers import messages, parse, render


def _warnings(text: str) -> list[str]:
    return [m for m in messages(parse(text)[1]) if "gives its answer away" in m]


def test_an_answer_in_the_heading_is_located_at_its_deletion() -> None:
    text = "# D\n\n## FLOPS\n\nFloating Point Operations per second ({{c1::FLOPS}})\n"
    assert _warnings(text) == [
        "deck.md:5:39: warning: cloze c1 gives its answer away: 'FLOPS' is on its card's "
        "front, in the heading; reword so the front does not show it"
    ]


def test_an_answer_in_the_text_is_found_ignoring_case_and_markup() -> None:
    text = "# D\n\n## Q\n\nThe **Encoder** reads.\n\nInput --> ==encoder== --> State\n"
    (warning,) = _warnings(text)
    assert warning.startswith("deck.md:7:11: warning: cloze c1 gives its answer away: 'encoder'")
    assert "in the text around it" in warning


def test_the_answer_in_a_heading_deletion_is_found_in_the_body() -> None:
    (warning,) = _warnings("# D\n\n## Capital of ==France==\n\nParis is in France.\n")
    assert warning.startswith("deck.md:3:15: warning: cloze c1 ")


def test_other_deletions_are_shown_and_the_same_number_is_hidden() -> None:
    shown_by_c2 = "# D\n\n## Q\n\n{{c1::Paris}} is the capital; {{c2::Paris}} is in France.\n"
    assert len(_warnings(shown_by_c2)) == 2  # each card shows the other's Paris
    both_hidden = "# D\n\n## Q\n\n{{c1::Paris}} is the capital; {{c1::Paris}} is in France.\n"
    assert _warnings(both_hidden) == []


def test_a_hint_that_holds_the_answer_gives_it_away() -> None:
    assert len(_warnings("# D\n\n## Q\n\n{{c1::Berlin::Berlin or Bonn?}}\n")) == 1
    assert _warnings("# D\n\n## Q\n\n{{c1::Berlin::a capital}}\n") == []


def test_a_nested_answer_is_hidden_with_its_outer_deletion_only() -> None:
    text = "# D\n\n## Q\n\n{{c1::the {{c2::inner}} part}}, then inner again\n"
    (warning,) = _warnings(text)
    assert "cloze c2 " in warning and "'inner'" in warning


@pytest.mark.parametrize(
    "body",
    [
        "{{c1::x}} and x",  # one character
        "{{c1::2}} plus 2 is 4",  # a number
        "{{c1::0.5}} then 0.5",
        "{{c1::sum}} is not summed",  # whole words only
        "`==code==` and $a == b$, {{c1::term}}",  # `==` in code and formulas is text
        "{{c1::Berlin}} and [a link](https://example.invalid/berlin)",  # addresses are not shown
    ],
)
def test_what_does_not_count_as_given_away(body: str) -> None:
    assert _warnings(f"# D\n\n## Q\n\n{body}\n") == []


_SAMPLES = [
    "## Q ==a==\n\n==b== then {{c2::c}} then ==d== and ==e==\n",
    "## Q\n\n1. ==x== (cue)\n2. ==y== (cue)\n\n`==z==` ==w==\n",
    "## Q {{c3::h}}\n\n{{c1::outer {{c2::inner}} }} ==s==\n",
]


@pytest.mark.parametrize("text", [*_SAMPLES, (SEED_NOTES / "deep-learning-flashcards.md")])
def test_the_deletions_read_are_the_ones_rendered(text: str | Path) -> None:
    """The check numbers `==text==` as the renderer does, so it warns about the right card."""
    if isinstance(text, Path):
        text = text.read_text(encoding="utf-8")
    notes, _ = render(text)
    cards, _ = parse(text)
    for card, note in zip(cards, notes, strict=True):
        highest = card.cloze_highest
        in_heading = deletions(card.heading, highest + 1)
        shorthand = sum(card.heading.startswith("==", d.start) for d in in_heading)
        found = [
            (d.number, part[d.content : d.answer_end])
            for part, ds in (
                (card.heading, in_heading),
                (card.body_text, deletions(card.body_text, highest + 1 + shorthand)),
            )
            for d in ds
        ]
        rendered = (
            re.findall(r"\{\{c(\d+)::([^{}:]*)", note.fields[0]) if note.kind == "cloze" else []
        )
        assert sorted((int(n), a) for n, a in rendered) == sorted(
            (n, re.split(r"\{\{|\}\}", a)[0]) for n, a in found
        ), card.heading


def test_check_and_build_give_the_same_warning(project: Project) -> None:
    project.write("source_notes/d.md", "# D\n\n## FLOPS\n\nper second ({{c1::FLOPS}})\n")
    checked = project.run("check")
    built = project.build()
    assert checked.exit_code == built.exit_code == 0
    assert checked.problems == built.problems
    assert len(checked.problems) == 1 and "d.md:5:13: warning: cloze c1" in checked.problems[0]
    assert project.run("check", "--strict").exit_code == 1


def test_the_cloze_scan_gives_each_deletion_its_answer_and_hint() -> None:
    from ankigen.cloze import scan_clozes

    text = "{{c1::a {{c2::b::x}} c::hint}} {{c0::bad}}"
    found = {
        d.number: (text[d.content : d.answer_end], d.hint) for d in scan_clozes(text).deletions
    }
    assert found == {1: ("a {{c2::b::x}} c", "hint"), 2: ("b", "x")}
