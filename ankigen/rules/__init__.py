"""The checks parse runs over every card, as a list of small named rules.

A rule is a function `(card, context) -> problems`: it reads a `card.CardDraft` (the card as
read, with its tokens and raw text) and the `card.FileContext` of its note file, and yields
`Diagnostic`s. `parse` runs every rule of `CARD_RULES` over each card, in order; a new check is
a new function in this list. Checks of the whole file (its characters, deck and section names)
are in `names`, and the pictures a card shows are read, with their problems, in `card_pictures`.
"""

from __future__ import annotations

from ..errors import Diagnostic
from . import text, tokens
from .card import CardDraft, FileContext, Rule

CARD_RULES: tuple[tuple[str, Rule], ...] = (
    ("markup", text.markup),
    ("sound", text.sound),
    ("clozes", text.clozes),
    ("open-display-math", text.open_display_math),
    ("formulas", text.formulas),
    ("shorthand-numbers", tokens.shorthand_numbers),
    ("clozes-once-rendered", tokens.clozes_once_rendered),
    ("text-made-formulas", tokens.text_made_formulas),
    ("code-languages", tokens.code_languages),
    ("cloze-answers", tokens.cloze_answers),
)


def card_problems(card: CardDraft, context: FileContext) -> list[Diagnostic]:
    """What every rule finds in the card."""
    return [problem for _, rule in CARD_RULES for problem in rule(card, context)]


__all__ = ["CARD_RULES", "CardDraft", "FileContext", "Rule", "card_problems"]
