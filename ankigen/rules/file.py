"""What a file rule reads: a note file's outline as parse cut it, at its headings, before any
card is made of it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from markdown_it.token import Token

from ..attributes import Attributes
from ..errors import Diagnostic
from ..front_matter import FrontMatter
from .card import FileContext


@dataclass(frozen=True)
class Heading:
    """A `##` (or deeper) heading: a card when it has a body, a section when it has sub-headings."""

    index: int  # of its heading_open token
    level: int
    line: int  # 0-based
    inline: Token  # as written, with its attribute list
    text: str  # its markdown without the attribute list
    attributes: Attributes  # what its attribute list, `{#id .reversed tags="…"}`, holds
    list_col: int  # 0-based column of the list's `{` in the heading's text, 0 without one
    col: int  # 0-based column of the heading's text in its line
    name: str  # its text without emphasis and code marks: a section's deck name and tag
    body: list[Token]  # the block tokens up to the next heading, kramdown markup left out
    end_line: int  # 0-based line of the next heading, or the file's length
    has_subheadings: bool  # the next heading is deeper: this one names a section

    @property
    def makes_card(self) -> bool:
        """A heading with text and a body is a card; the rules say why any other is not."""
        return bool(self.text.strip()) and bool(self.body)


@dataclass(frozen=True)
class FileDraft:
    """One note file as parse read it, for the file rules: before it is cards."""

    front_matter: FrontMatter
    extra_titles: tuple[int, ...]  # 0-based lines of `# ` headings after the title
    deck: str  # its deck's name as written: in front matter, settings, title or file name
    deck_line: int  # 0-based line where that name is written, 0 when it is not in the file
    preamble: list[Token]  # the blocks before the first `##` heading
    headings: tuple[Heading, ...]


FileRule = Callable[[FileDraft, FileContext], Iterable[Diagnostic]]
