"""Cloze deletions: Anki's own syntax checked as Anki reads it, and the `==text==` shorthand."""

from __future__ import annotations

import pytest

from ankigen.cloze import protected_spans, scan_clozes

from .helpers import messages, parse, render


def test_valid_clozes_report_highest_number() -> None:
    scan = scan_clozes("{{c1::a}} and {{c3::b::hint}} and {{c2::x {{c4::nested}} y}}")
    assert scan.problems == ()
    assert (scan.highest, scan.count) == (4, 4)


@pytest.mark.parametrize(
    ("text", "offset", "words"),
    [
        ("see {{c1::open", 4, "never closed"),
        ("{{c0::zero}}", 0, "positive integer"),
        ("{{cx::letter}}", 0, "positive integer"),
        ("a {{c-1::minus}}", 2, "positive integer"),
        ("{{c::none}}", 0, "positive integer"),
        ("{{c1::}}", 0, "empty cloze"),
        ("{{c1::$\\frac{1}{x^{2}}$}}", 20, "`}}` inside this formula"),
        ("$x^{{c1::2$ rest}}", 3, "opened inside a formula ends outside"),
    ],
)
def test_broken_clozes_are_located(text: str, offset: int, words: str) -> None:
    problems = scan_clozes(text).problems
    assert [(p.offset, words in p.message) for p in problems] == [(offset, True)]


def test_clozes_inside_a_formula_as_anki_writes_them_are_fine() -> None:
    assert scan_clozes("$x^{{c1::2}}$ and {{c2::$\\frac{a}{b} $}}").problems == ()


def test_spans_find_formulas_and_code_but_not_prices_or_escapes() -> None:
    text = "a price of 5$ and \\$x, `$a$`, $y$ and $$z$$"
    kinds = [(text[s:e], k) for s, e, k in protected_spans(text)]
    assert kinds == [("`$a$`", "code"), ("$y$", "math"), ("$$z$$", "math")]


def test_shorthand_numbers_follow_the_highest_explicit_number() -> None:
    notes, _ = render("## Q\n\n==a== then {{c2::b}} then ==c==\n")
    assert notes[0].kind == "cloze"
    assert "{{c3::a}} then {{c2::b}} then {{c4::c}}" in notes[0].fields[0]
    assert len(notes[0].ordinals) == 3


def test_shorthand_is_not_applied_in_code_or_math() -> None:
    notes, _ = render("## Q\n\n`a == b` and $x == y$ and ==term==\n")
    field = notes[0].fields[0]
    assert "<code>a == b</code>" in field and "\\(x == y\\)" in field
    assert "{{c1::term}}" in field


def test_cloze_in_heading_and_body_makes_one_cloze_note_with_heading_visible() -> None:
    notes, _ = render("## The ==ReLU== function\n\nis {{c1::max(0, x)}}\n")
    note = notes[0]
    assert note.kind == "cloze"
    assert note.fields[0].startswith('<div class="ankigen-heading">The {{c2::ReLU}} function</div>')
    assert note.fields[1] == "The {{c2::ReLU}} function"


def test_cloze_in_fenced_code_survives_because_it_is_not_highlighted() -> None:
    notes, _ = render("## Q\n\n```python\nx = {{c1::compute()}}\n```\n")
    assert "x = {{c1::compute()}}" in notes[0].fields[0]


def test_broken_cloze_in_a_card_is_reported_with_line_and_column() -> None:
    _, diagnostics = parse("# D\n\n## Q\n\nfirst line\nsecond {{c1::never closed\n")
    assert messages(diagnostics) == ["deck.md:6:8: error: cloze deletion is never closed with `}}`"]
