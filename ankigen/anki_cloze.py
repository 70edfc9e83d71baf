"""Anki's cloze syntax, read exactly as the official backend reads it (rslib's cloze.rs).

This is the one cloze tokenizer of ankigen. Every stage that needs to know what Anki will make of
`{{cN::...}}` in a finished field uses it: the card ordinals of a note (model), the check of the
finished fields (render), the preview's card HTML (preview) and the formula check of each card
side (texcheck). Anki's rules, which it follows:

- `{{c` followed by numbers separated by commas and `::` opens a deletion (`{{c1,2::` counts for
  cards 1 and 2; leading zeros are read, `{{C1::` and numbers above 65535 are plain text);
- `}}` closes the innermost open deletion, or is plain text when none is open;
- the first `::` of a piece of text inside a deletion starts its hint, which runs to the next
  nested deletion or to its close; a later `::` replaces the hint;
- a deletion opened inside ten open ones is ignored (its `}}` then closes an outer one);
- a deletion that is never closed vanishes, with all it holds (Anki renders "a {{c1::b" as "a ").

Image occlusion deletions (`{{c1::image-occlusion:...}}`) are not read specially.

`check`'s reading of the raw markdown, which also reports what Anki would *not* read as a
deletion (`{{cx::`, `{{C1::`), is in `cloze`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

MAX_CLOZE_DEPTH = 10  # Anki ignores a deletion opened inside ten open ones
# Anki stores a card's ordinal (cloze number - 1) as a 16-bit number and reads `{{cN::` only for
# N up to 65535: {{c65536:: imports as a card that shows an error, {{c65537:: is refused.
MAX_CLOZE = 65535
_MARKER = re.compile(r"\{\{c([0-9,]*::)|\}\}")  # an opener's numbers with its `::`; a closer


@dataclass(frozen=True)
class Token:
    """A piece of a field: `text`, `open` (with its cloze numbers) or `close`, by offsets."""

    kind: Literal["text", "open", "close"]
    start: int
    end: int
    ordinals: tuple[int, ...] = ()


@lru_cache(maxsize=1024)
def _ordinals(numbers: str) -> tuple[int, ...]:
    """The cloze numbers of `{{c1,2::`, deduplicated and sorted; those past 16 bits are dropped."""
    digits = (number.lstrip("0") or "0" for number in numbers.split(",") if number)
    found = {int(number) for number in digits if len(number) <= 5 and int(number) <= MAX_CLOZE}
    return tuple(sorted(found))


def _markers(text: str) -> Iterator[tuple[int, int, tuple[int, ...] | None]]:
    """(start, end, numbers) of each opener and (start, end, None) of each closer Anki reads.

    An opener without a number Anki can read is plain text; no other marker can start inside it,
    so the regular expression's matches are Anki's markers."""
    for marker in _MARKER.finditer(text):
        numbers = marker.group(1)
        if numbers is None:
            yield marker.start(), marker.end(), None
        elif ordinals := _ordinals(numbers[:-2]):
            yield marker.start(), marker.end(), ordinals


def tokenize(text: str) -> Iterator[Token]:
    """The field's text, deletion openers and closers, where Anki's tokenizer splits them."""
    position = 0
    for start, end, ordinals in _markers(text):
        if start > position:
            yield Token("text", position, start)
        yield (
            Token("close", start, end) if ordinals is None else Token("open", start, end, ordinals)
        )
        position = end
    if position < len(text):
        yield Token("text", position, len(text))


Span = tuple[int, int]  # a piece of plain text, by offsets into the parsed text


@dataclass
class Cloze:
    """One closed deletion: its numbers, where it starts, its parts and its hint (by offsets)."""

    ordinals: tuple[int, ...]
    start: int  # of its `{{c`
    nodes: list[Span | Cloze] = field(default_factory=list)
    hint: Span | None = None  # the hint's text, after its `::`


def parse_clozes(text: str) -> list[Span | Cloze]:
    """The field as Anki's `parse_text_with_clozes` reads it: text spans and closed deletions."""
    output: list[Span | Cloze] = []
    open_clozes: list[Cloze] = []
    for token in tokenize(text):
        if token.kind == "open":
            if len(open_clozes) < MAX_CLOZE_DEPTH:
                open_clozes.append(Cloze(token.ordinals, token.start))
        elif token.kind == "text":
            if open_clozes:
                start, end = token.start, token.end
                separator = text.find("::", start, end)
                if separator != -1:
                    open_clozes[-1].hint = (separator + 2, end)
                    end = separator
                open_clozes[-1].nodes.append((start, end))
            else:
                output.append((token.start, token.end))
        elif open_clozes:
            closed = open_clozes.pop()
            (open_clozes[-1].nodes if open_clozes else output).append(closed)
        else:
            output.append((token.start, token.end))  # a `}}` outside any deletion
    return output  # deletions never closed vanish, as in Anki


def cloze_numbers(*texts: str) -> set[int]:
    """The cloze numbers in `texts`, nested deletions included: Anki makes one card for each.

    The same reading as `parse_clozes`, keeping only numbers: a deletion counts once it and every
    deletion around it are closed."""
    numbers: set[int] = set()
    for text in texts:
        if "{{c" not in text:
            continue
        open_clozes: list[list[int]] = []  # each open deletion's numbers, its children's after
        for marker in _MARKER.findall(text):  # "1,2::" for an opener, "" for a closer
            if marker:
                ordinals = _ordinals(marker[:-2])
                if ordinals and len(open_clozes) < MAX_CLOZE_DEPTH:
                    open_clozes.append(list(ordinals))
            elif open_clozes:
                closed = open_clozes.pop()
                if open_clozes:
                    open_clozes[-1] += closed
                else:
                    numbers.update(closed)
    return numbers - {0}


def reveal_clozes(text: str, number: int, *, question: bool) -> str:
    """Anki's cloze filter: deletion `number` hidden (question) or shown (answer), as HTML; ""
    if the text has no deletion with that number."""
    found = False

    def reveal(cloze: Cloze) -> str:
        nonlocal found
        active = number in cloze.ordinals
        found |= active
        inner = "".join(
            text[node[0] : node[1]] if isinstance(node, tuple) else reveal(node)
            for node in cloze.nodes
        )
        ordinals = ",".join(map(str, cloze.ordinals))
        if active and question:
            hint = "..." if cloze.hint is None else text[cloze.hint[0] : cloze.hint[1]]
            return (
                f'<span class="cloze" data-cloze="{encode_attribute(inner)}" '
                f'data-ordinal="{ordinals}">[{hint}]</span>'
            )
        kind = "cloze" if active else "cloze-inactive"
        return f'<span class="{kind}" data-ordinal="{ordinals}">{inner}</span>'

    out = "".join(
        text[node[0] : node[1]] if isinstance(node, tuple) else reveal(node)
        for node in parse_clozes(text)
    )
    return out if found else ""


def clozes_as_text(text: str) -> str:
    """The text with every deletion shown plainly, without markers or hints."""

    def show(nodes: Sequence[Span | Cloze]) -> str:
        return "".join(
            text[node[0] : node[1]] if isinstance(node, tuple) else show(node.nodes)
            for node in nodes
        )

    return show(parse_clozes(text))


_MINIMAL_ENTITIES = {'"': "&quot;", "&": "&amp;", "'": "&#x27;", "<": "&lt;", ">": "&gt;"}


def encode_attribute(text: str) -> str:
    """The htmlescape crate's attribute encoding, which Anki uses for `data-cloze`."""
    out = []
    for char in text:
        if char in _MINIMAL_ENTITIES:
            out.append(_MINIMAL_ENTITIES[char])
        elif ord(char) < 256 and not (char.isascii() and char.isalnum()):
            out.append(f"&#x{ord(char):02X};")
        else:
            out.append(char)
    return "".join(out)
