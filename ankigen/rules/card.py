"""What a card rule reads: the note file being parsed, and one card as read from it, with its
markdown-it tokens and its raw text (where columns are exact)."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from markdown_it.token import Token

from ..cloze import ClozeScan, protected_spans, scan_clozes
from ..errors import Diagnostic, Location
from ..model import SourceFile


@dataclass(frozen=True)
class FileContext:
    """The note file a card comes from, as every rule may need it."""

    source: SourceFile
    lines: list[str]
    allow_html: bool = False
    references: dict[str, Any] = field(default_factory=dict)  # markdown-it's link references

    def at(self, line0: int, col0: int = 0) -> Location:
        return Location(self.source.display, line0 + 1, col0 + 1)

    def locate(self, inline: Token, needle: str) -> Location:
        """The place of `needle` within the lines of the block that `inline` came from."""
        first, last = inline.map or (0, len(self.lines))
        for line in range(first, min(last + 1, len(self.lines))):
            col = self.lines[line].find(needle)
            if col >= 0:
                return self.at(line, col)
        return self.at(first)


class RawText:
    """A card's heading or body as written, with what several rules read off it, found once."""

    __slots__ = ("clozes", "col0", "context", "formulas", "line0", "spans", "starts", "text")

    def __init__(self, text: str, line0: int, col0: int, context: FileContext) -> None:
        self.text, self.line0, self.col0, self.context = text, line0, col0, context
        self.starts = [0, *(m.end() for m in re.finditer("\n", text))]  # many formulas ask
        # code, formulas, clozes and tags: where markdown is not plain text
        self.spans = protected_spans(text) if any(c in text for c in ("$", "{{", "<", "](")) else []
        self.clozes: ClozeScan = scan_clozes(text, self.spans)
        self.formulas: list[Dollars] = []  # each `$...$` and `$$...$$`
        for start, end, kind in self.spans:
            if kind == "math":
                delimiter = 2 if text.startswith("$$", start) else 1
                tex = text[start + delimiter : end - delimiter]
                self.formulas.append(Dollars(start, start + delimiter, tex, delimiter == 2))

    def at(self, offset: int) -> Location:
        line = bisect_right(self.starts, offset) - 1
        col = offset - self.starts[line]
        return self.context.at(self.line0 + line, (self.col0 if line == 0 else 0) + col)

    def line_of(self, offset: int) -> int:
        """The 0-based line in the file of an offset in the text."""
        return self.line0 + bisect_right(self.starts, offset) - 1


class Dollars(NamedTuple):
    """A formula between dollars in a card's raw text."""

    start: int  # offset of its first `$`
    tex_start: int  # offset of its TeX
    tex: str  # as written
    display: bool  # `$$...$$`


@dataclass(frozen=True)
class CardDraft:
    """One card as parse read it, for the rules: before it is a `model.Card`."""

    heading: Token  # the heading's inline token, as written (with its `{#id}`)
    heading_line: int  # 0-based
    heading_col: int  # 0-based column of the heading's text
    text: str  # the heading's markdown without its `{#id}`
    location: Location  # of the heading
    body: list[Token]  # block tokens
    body_text: str
    body_line: int  # 0-based line where `body_text` starts
    code_language: str | None
    raw_heading: RawText
    raw_body: RawText
    classes: tuple[str, ...] = ()  # the card kinds its attribute list asks for
    attributes_col: int = 0  # 0-based column of the attribute list's `{` on the heading's line

    @property
    def raw(self) -> tuple[RawText, RawText]:
        return self.raw_heading, self.raw_body

    @property
    def cloze_highest(self) -> int:
        """The highest explicit `{{cN::` number in heading and body, 0 if none."""
        return max(self.raw_heading.clozes.highest, self.raw_body.clozes.highest)


CardRule = Callable[[CardDraft, FileContext], Iterable[Diagnostic]]


def error(where: Location, message: str) -> Diagnostic:
    return Diagnostic(where, "error", message)


def warning(where: Location, message: str) -> Diagnostic:
    return Diagnostic(where, "warning", message)
