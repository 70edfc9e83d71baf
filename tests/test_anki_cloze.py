"""The one cloze tokenizer reads `{{cN::...}}` as Anki's backend does (rslib's cloze.rs).

tests/test_preview_anki.py compares whole cards with the real backend; these pin the rules the
three former readings (card ordinals, preview, formula check) disagreed on.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ankigen.anki_cloze import (
    Cloze,
    cloze_numbers,
    clozes_as_text,
    parse_clozes,
    reveal_clozes,
    tokenize,
)
from ankigen.texcheck.cloze_sides import cloze_sides

from .helpers import messages, render


def test_a_deletion_never_closed_vanishes_with_what_it_holds() -> None:
    # Anki renders "a {{c1::b" as "a " and makes no card 1 of it
    assert cloze_numbers("a {{c1::never closed") == set()
    assert cloze_numbers("a {{c1::b {{c2::c}} d") == set()
    assert reveal_clozes("{{c1::x}} {{c2::open", 1, question=False) == (
        '<span class="cloze" data-ordinal="1">x</span> '
    )
    assert clozes_as_text("a {{c1::b {{c2::c}} d") == "a "
    # the formula check reads the formula as MathJax will receive it: without the deletion
    assert cloze_sides("a+{{c1::b") == [("", "a+", [0, 1])]


def test_only_what_anki_reads_opens_a_deletion() -> None:
    assert cloze_numbers("{{C1::upper}} {{c65536::big}} {{cx::x}} {{c::y}}") == set()
    assert cloze_numbers("{{c01::padded}} {{c0::zero}} {{c65535::max}}") == {1, 65535}
    assert cloze_numbers("{{c000000000000002::long}}") == {2}
    assert cloze_numbers("{{c" + "0" * 5000 + "1::longer than int() reads}}") == {1}
    assert [t.kind for t in tokenize("}} {{c1::a}} }}")] == [
        "close", "text", "open", "text", "close", "text", "close",
    ]  # fmt: skip


def test_several_numbers_make_one_deletion_of_several_cards() -> None:
    text = "{{c2,1::shared}} {{c1,,3::x}} {{c,4::y}}"
    assert cloze_numbers(text) == {1, 2, 3, 4}
    assert 'data-ordinal="1,2">[...]' in reveal_clozes(text, 2, question=True)
    assert cloze_sides("{{c1,2::a}}+b") == [
        ("", "a+b", [8, 11, 12]),
        ("c1", "[...]+b", [0, 0, 0, 0, 0, 11, 12]),
        ("c2", "[...]+b", [0, 0, 0, 0, 0, 11, 12]),
    ]


def test_hints_nesting_and_depth() -> None:
    text = "{{c1::a {{c2::b}}::hint}}"
    (cloze,) = parse_clozes(text)
    assert not isinstance(cloze, tuple) and cloze.hint is not None
    assert text[slice(*cloze.hint)] == "hint"
    assert cloze_numbers(text) == {1, 2}
    assert "[hint]" in reveal_clozes(text, 1, question=True)
    deep = "{{c1::" * 10 + "{{c11::x}}" + "}}" * 9
    assert cloze_numbers(deep) == {1}  # the eleventh opener is ignored; its `}}` closes the tenth


def test_a_note_whose_only_deletion_anki_reads_as_text_makes_no_card() -> None:
    # `{{C1::` is plain text to Anki: such a note used to be packaged with a card 1 that Anki
    # shows as "No cloze 1 found on card"; now the build refuses it
    notes, diagnostics = render("## Upper {{C1::x}} here\n\nbody\n\n## Lower {{c1::x}}\n\nbody\n")
    assert messages(diagnostics) == [
        "deck.md:1:4: error: the cloze note has no deletion, so Anki would make no card"
    ]
    assert [note.ordinals for note in notes] == [(), (0,)]


_PIECES = st.sampled_from(["{{c1::", "{{c2,3::", "{{c0::", "{{c70000::", "{{C1::", "}}", "::", "x"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=30).map("".join))
def test_the_quick_count_of_numbers_reads_as_the_tree_does(text: str) -> None:
    def numbers(nodes: list[tuple[int, int] | Cloze]) -> set[int]:
        found: set[int] = set()
        for node in nodes:
            if isinstance(node, Cloze):
                found |= {*node.ordinals, *numbers(node.nodes)}
        return found

    assert cloze_numbers(text) == numbers(parse_clozes(text)) - {0}


def test_a_deletion_never_closed_is_reported_once() -> None:
    # Anki makes no card of it either, but the build says why once, where the deletion opens
    _, diagnostics = render("## Unclosed\n\nThe answer is {{c1::forty-two\n")
    assert messages(diagnostics) == [
        "deck.md:3:15: error: cloze deletion is never closed with `}}`"
    ]
