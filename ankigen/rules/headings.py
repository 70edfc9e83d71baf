"""File rules about a note file's outline: its front matter, its one title, text on no card,
the cards' `{#id}`s, headings that make no card, and a file with no card heading at all."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..errors import NO_HEADINGS, Diagnostic
from .card import FileContext, error, warning
from .file import FileDraft

VALID_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:/-]*")  # `/` to keep a derived `section/card`


def front_matter(file: FileDraft, context: FileContext) -> Iterator[Diagnostic]:
    """What is wrong in the front matter, found as it was read."""
    yield from file.front_matter.problems


def one_title(file: FileDraft, context: FileContext) -> Iterator[Diagnostic]:
    """A `# ` heading after the title is neither a title nor a card."""
    for line in file.extra_titles:
        yield error(context.at(line), "a file has one `# Title`; cards use `##`")


def text_on_no_card(file: FileDraft, context: FileContext) -> Iterator[Diagnostic]:
    """Text before the first `##` heading; in a file without one, `no_headings` says it all."""
    if file.preamble and file.headings:
        line = next((t.map[0] for t in file.preamble if t.map), 0)
        yield warning(context.at(line), "text before the first `##` heading is on no card")


def attribute_lists(file: FileDraft, context: FileContext) -> Iterator[Diagnostic]:
    """What a heading's attribute list holds that is no valid id, card kind, tag or GUID; and
    kinds, tags or a GUID on a section, which makes no card to give them to."""
    for heading in file.headings:
        for problem in heading.attributes.problems:
            yield error(context.at(heading.line, heading.col + problem.column), problem.message)
        found = heading.attributes.id
        if found is not None and not VALID_ID.fullmatch(found):
            yield error(
                context.at(heading.line, heading.col + heading.list_col),
                f"invalid card id {found!r}: use letters, digits, '-', '_', '.', ':' or '/'",
            )
        attributes = heading.attributes
        for_a_card = attributes.classes or attributes.tags or attributes.guid
        if for_a_card and heading.has_subheadings and not heading.body:
            yield warning(
                context.at(heading.line, heading.col + heading.list_col),
                "a section makes no card: its card kinds, tags and guid are for no card",
            )


def headings_without_cards(file: FileDraft, context: FileContext) -> Iterator[Diagnostic]:
    """A heading with no text, or with neither a body nor sub-headings, makes no card."""
    for heading in file.headings:
        where = context.at(heading.line, heading.col)
        if not heading.text.strip():
            yield error(where, "card has an empty heading")
        elif not heading.body and not heading.has_subheadings:
            message = "heading has no body and no sub-headings, so it makes no card"
            yield warning(where, message)


def no_headings(file: FileDraft, context: FileContext) -> Iterator[Diagnostic]:
    """A file without `##` headings has no cards (an error when no file has any)."""
    if not file.headings:
        yield warning(context.at(0), NO_HEADINGS)
