"""File rules about names and characters: characters Anki cannot store, anywhere in the file or
its name, and deck and section names that Anki would change or read as markup."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..errors import Diagnostic, Location
from ..storable import unstorable, unstorable_lines, unstorable_references
from .card import FileContext, error
from .file import FileDraft


def characters(file: FileDraft, context: FileContext) -> Iterator[Diagnostic]:
    """Characters that Anki cannot store in a field, anywhere in the file or its name."""
    for line, col, message in unstorable_lines(context.lines):
        yield error(context.at(line, col), message)
    if context.allow_html:
        for line, text in enumerate(context.lines):
            for col, message in unstorable_references(text):
                yield error(context.at(line, col), message)
    name = context.source.path.relative_to(context.source.root).as_posix()
    if (problem := unstorable(name)) is not None:
        yield error(context.at(0), f"the file's name: {problem[1]}")


def blank(part: str) -> bool:
    """A deck name's part that Anki would store as `blank`: nothing but spaces and colons."""
    return not part.replace(":", "").strip()


def deck_name(file: FileDraft, context: FileContext) -> Iterator[Diagnostic]:
    """A deck name with an empty part (`E:: ::F`) becomes `E::blank::F` in Anki; one that
    reads as markup would be markup on every card."""
    yield from deck_name_problems(file.deck, context.at(file.deck_line))


def deck_name_problems(deck: str, where: Location) -> Iterator[Diagnostic]:
    """What is wrong with `deck` as a deck name, reported at `where`."""
    if any(blank(part) for part in deck.split("::")):
        yield error(where, f"deck name {deck!r} has an empty part (Anki would call it `blank`)")
    yield from shown_name(f"deck name {deck!r}", deck, where)


def section_names(file: FileDraft, context: FileContext) -> Iterator[Diagnostic]:
    """A section with sub-headings names a deck: it must have a name Anki keeps as it is."""
    for heading in file.headings:
        if not heading.has_subheadings:
            continue
        where = context.at(heading.line, max(context.lines[heading.line].find("#"), 0))
        if blank(heading.name):
            yield error(
                where,
                f"section {heading.inline.content.strip()!r} names a deck with nothing in it "
                "(Anki would call it `blank`): give the section a name",
            )
        yield from shown_name(f"section {heading.name!r}", heading.name, where)


# Every card shows its deck name ({{Deck}} in the templates), and Anki puts it into the card as
# HTML, which MathJax then reads: only text that stays text may pass.
_MARKUP_IN_NAME = re.compile(r"[<>]|&[A-Za-z#]|\\[()\[\]]")


def shown_name(what: str, name: str, where: Location) -> Iterator[Diagnostic]:
    markup = _MARKUP_IN_NAME.search(name)
    if markup:
        yield error(
            where,
            f"{what} holds {markup[0]!r}: every card shows its deck's name, and Anki reads it "
            "as HTML and formulas there; leave out <, >, & before a name or #, and \\( \\) "
            "\\[ \\]",
        )
