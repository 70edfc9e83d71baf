"""Card rules about a card's kind: `.reversed` and `.type` where they can work, and a type-in
card's answer (its body's first paragraph) plain text that Anki's comparison can match."""

from __future__ import annotations

from collections.abc import Iterator

from ..card_kinds import KINDS, not_plain, what_it_is
from ..cloze import CLOZE_ATTEMPT
from ..errors import Diagnostic, Location
from ..markdown import markdown_parser
from .card import CardDraft, FileContext, error


def card_kinds(card: CardDraft, context: FileContext) -> Iterator[Diagnostic]:
    """One kind per card, never on a cloze card; a type-in card's answer is plain text."""
    if not card.classes:
        return
    if "reversed" in card.classes and "type" in card.classes:
        yield error(
            _class_at(card, context, "type"),
            "`.type` and `.reversed` together: a card is either reversed or type-in",
        )
        return
    if _has_clozes(card, context):
        for name in card.classes:
            yield error(
                _class_at(card, context, name),
                f"a cloze card cannot be {KINDS[name]}: its cards are its deletions; remove "
                f"`.{name}`, or the deletions",
            )
        return
    if "type" in card.classes:
        yield from _answer_problems(card, context)


def _class_at(card: CardDraft, context: FileContext, name: str) -> Location:
    """Where `.name` is written in the heading's attribute list."""
    line = context.lines[card.heading_line]
    column = line.find(f".{name}", card.attributes_col)
    return context.at(card.heading_line, column if column >= 0 else card.attributes_col)


def _has_clozes(card: CardDraft, context: FileContext) -> bool:
    """Whether the card is a cloze note: `{{c1::…}}` written, or `==…==` that makes one."""
    if any(raw.clozes.count for raw in card.raw):
        return True
    if any(CLOZE_ATTEMPT.search(raw.text) for raw in card.raw):
        return True
    inlines = [token for token in (card.heading, *card.body) if token.type == "inline"]
    if not any("==" in token.content for token in inlines):
        return False
    md = markdown_parser(context.allow_html)
    env = {"references": context.references}
    return any(
        child.type == "cloze_open"
        for token in inlines
        for child in md.parseInline(token.content, env)[0].children or ()
    )


def _answer_problems(card: CardDraft, context: FileContext) -> Iterator[Diagnostic]:
    """A type-in card's answer: its body's first paragraph, plain text, not empty."""
    first = card.body[0]
    where = context.at((first.map or [card.body_line])[0])
    if first.type != "paragraph_open":
        kind = first.type.removesuffix("_open").replace("_", " ")
        yield error(
            where,
            "a type-in card's answer is its body's first paragraph, but its body starts with "
            f"a {kind}: write the answer first, as plain text",
        )
        return
    inline = card.body[1]
    md = markdown_parser(context.allow_html)  # `check` has not parsed the inline tokens
    children = md.parseInline(inline.content, {"references": context.references})[0].children
    found = not_plain(children or ())
    if found is not None:
        needle = "![" if found.type == "image" else found.markup or inline.content[:1]
        yield error(
            context.locate(inline, needle),
            f"the type-in answer (the body's first paragraph) holds {what_it_is(found)}, which "
            "Anki's comparison of the typed answer cannot match: make it plain text (code "
            "spans are fine), and put the rest in a paragraph after it",
        )
    elif not "".join(child.content for child in children or ()).strip():
        yield error(where, "the type-in answer (the body's first paragraph) is empty")
