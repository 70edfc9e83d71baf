"""The plain data passed from one pipeline stage to the next."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from .errors import Location

if TYPE_CHECKING:  # only for annotations: a warm build never loads markdown-it or the plots
    from markdown_it.token import Token

    from .diagrams import PlotSpec


@dataclass(frozen=True)
class SourceFile:
    """A note file, read and decoded, with the time its notes carry into Anki."""

    path: Path  # absolute
    root: Path  # the notes folder it was found in; images may not leave it
    display: str  # the path as shown in messages
    text: str
    modified: int  # SOURCE_DATE_EPOCH, else its modification time: for what is not committed


@dataclass(frozen=True)
class Formula:
    """A `$...$` or `$$...$$` formula of a card, where it was written."""

    tex: str  # stripped of surrounding space
    display: bool
    location: Location


@dataclass(frozen=True)
class Card:
    """One heading with a body of its own, as parsed, before rendering."""

    source: SourceFile
    location: Location  # of the heading
    heading: str  # markdown of the heading, without its `{#id}`
    heading_col: int  # 1-based column where `heading` starts on its line
    body: tuple[Token, ...]  # markdown-it block tokens of the body
    heading_inline: Token | None  # markdown-it inline token of `heading`
    body_text: str  # the raw markdown of the body, for checks that need columns
    body_line: int  # 1-based line where body_text starts
    deck: str  # full deck name, `Parent::Child`
    tags: tuple[str, ...]
    namespace: str
    identity: str  # explicit `{#id}` or the slug path of sections and heading
    code_language: str | None
    cloze_highest: int  # highest explicit `{{cN::` number in heading and body, 0 if none
    formulas: tuple[Formula, ...] = ()
    plots: tuple[tuple[int, PlotSpec], ...] = ()  # checked `plot` blocks by index in `body`
    images: tuple[tuple[str, Path], ...] = ()  # checked image references: src -> file
    classes: tuple[str, ...] = ()  # the kinds its heading asks for: `.reversed`, `.type`
    pinned_guid: str | None = None  # `guid="…"` in its heading: a note adopted from Anki

    @cached_property
    def guid(self) -> str:
        """The GUID of the card's note: computed here only, once, from its namespace and
        identity, unless its heading pins it."""
        from .ids import note_guid

        return self.pinned_guid or note_guid(self.namespace, self.identity)


@dataclass(frozen=True)
class MediaFile:
    """A file for the package's media folder, named after its content."""

    name: str
    data: bytes


def media_file(data: bytes, suffix: str) -> MediaFile:
    """Media named by content: the same bytes get the same name, other bytes never collide."""
    digest = hashlib.sha256(data).hexdigest()[:24]
    return MediaFile(f"ankigen-{digest}{suffix.lower()}", data)


class Outline(NamedTuple):
    """Where a note file's front matter ends and its headings are, as markdown-it found them:
    what splice.py needs to parse one changed card alone."""

    front_matter_end: int  # 0-based line after the front matter; 0 without one
    headings: tuple[tuple[int, int], ...]  # 0-based line and level of every heading, title too


class RenderedNote(NamedTuple):
    """A card rendered to Anki fields: what render makes, the notes cache stores, and package,
    preview and diff read. It holds no markdown tokens; a plain tuple, cheap to make for every
    note of an unchanged deck read from the cache."""

    guid: str
    kind: str  # "basic", "reversed", "type" (type-in) or "cloze": a key of NOTE_TYPES
    fields: tuple[str, ...]
    deck: str  # full deck name, `Parent::Child`
    tags: tuple[str, ...]
    namespace: str
    identity: str  # explicit `{#id}` or the slug path of sections and heading
    location: Location  # of the card's heading
    source: SourceFile  # the note file it was written in
    ordinals: tuple[int, ...]  # Anki's `ord` of each card: 0 for basic, cloze number - 1
    media: tuple[MediaFile, ...] = ()


def card_ordinals(kind: str, fields: tuple[str, ...]) -> tuple[int, ...]:
    """Anki's `ord` of each of a note's cards: 0 for a basic or type-in note, 0 and 1 for a
    reversed one, cloze number - 1 for a cloze."""
    from .anki_cloze import cloze_numbers

    if kind == "cloze":
        return tuple(n - 1 for n in sorted(cloze_numbers(*fields)))
    return (0, 1) if kind == "reversed" else (0,)


class PackageNote(NamedTuple):
    """What the package holds of a note: a plain tuple, cheap to make for every note of a deck."""

    guid: str
    kind: str
    fields: tuple[str, ...]
    deck: str
    tags: tuple[str, ...]
    modified: int  # seconds since the epoch: decides whether Anki updates its copy
    ordinals: tuple[int, ...]
