"""A card's kind, as its heading's attribute list asks for it, and a type-in card's answer.

`.reversed` makes a note of two cards (heading -> body, body -> heading); `.type` asks the student
to type the body's first paragraph, which Anki compares with what was typed, character by
character, as plain text. So that answer must be plain text: words, and code spans, whose text is
typed as it is shown. What the comparison cannot match (emphasis, links, formulas, pictures,
clozes, line breaks, raw HTML) is refused where it is written; `rules/kinds.py` does that.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from markdown_it.token import Token

KINDS = {"reversed": "reversed", "type": "type-in"}  # a heading's class -> the kind's name
# The inline tokens a type-in answer may hold: their text is what the student types.
_PLAIN = frozenset({"text", "softbreak", "code_inline"})
# What each other token is, for the message that refuses it.
_NOT_PLAIN = {
    "em_open": "emphasis",
    "strong_open": "emphasis",
    "s_open": "struck-through text",
    "link_open": "a link",
    "image": "a picture",
    "math_inline": "a formula",
    "math_inline_double": "a formula",
    "cloze_open": "a cloze deletion",
    "html_inline": "raw HTML",
    "hardbreak": "a line break",
}


def card_kind(classes: Sequence[str]) -> str:
    """The note kind a card's classes ask for: "basic", "reversed" or "type" (a key of
    NOTE_TYPES). Render makes a card with clozes a cloze note before asking."""
    for name in ("type", "reversed"):
        if name in classes:
            return name
    return "basic"


def not_plain(children: Sequence[Token]) -> Token | None:
    """The first token of a type-in answer that is not plain text, or None."""
    return next((child for child in children if child.type not in _PLAIN), None)


def what_it_is(token: Token) -> str:
    """A token of an answer as the student would call it."""
    return _NOT_PLAIN.get(token.type, f"markup ({token.type.removesuffix('_open')})")


def type_in_answer(inline: Token) -> str:
    """The plain text of a type-in card's answer paragraph, escaped for its HTML field; lines
    wrapped in the source are one line, as the student types them."""
    words = [" " if child.type == "softbreak" else child.content for child in inline.children or ()]
    return html.escape(" ".join("".join(words).split()), quote=False)
