"""The checks parse runs, as two named lists of small rules: one over each file, one over each
card.

A file rule is a function `(file, context) -> problems`: it reads a `file.FileDraft` (the note
file's outline: front matter, deck name, the text before the first card, its headings) and the
file's `card.FileContext`, and yields `Diagnostic`s. A card rule is a function `(card, context)
-> problems` over a `card.CardDraft` (one card as read, with its tokens and raw text). `parse`
runs every rule of `FILE_RULES` over the file, then every rule of `CARD_RULES` over each card
the file makes, in order; a new check is a new function in one of these lists. The pictures a
card shows are read, with their problems, in `card_pictures`.
"""

from __future__ import annotations

from ..errors import Diagnostic
from . import headings, kinds, names, text, tokens
from .card import CardDraft, CardRule, FileContext
from .file import FileDraft, FileRule, Heading

FILE_RULES: tuple[tuple[str, FileRule], ...] = (
    ("characters", names.characters),
    ("front-matter", headings.front_matter),
    ("one-title", headings.one_title),
    ("deck-name", names.deck_name),
    ("text-on-no-card", headings.text_on_no_card),
    ("attribute-lists", headings.attribute_lists),
    ("headings-without-cards", headings.headings_without_cards),
    ("section-names", names.section_names),
    ("no-headings", headings.no_headings),
)

CARD_RULES: tuple[tuple[str, CardRule], ...] = (
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
    ("card-kinds", kinds.card_kinds),
)


def file_problems(file: FileDraft, context: FileContext) -> list[Diagnostic]:
    """What every file rule finds in the file."""
    return [problem for _, rule in FILE_RULES for problem in rule(file, context)]


def card_problems(card: CardDraft, context: FileContext) -> list[Diagnostic]:
    """What every card rule finds in the card."""
    return [problem for _, rule in CARD_RULES for problem in rule(card, context)]


__all__ = [
    "CARD_RULES",
    "FILE_RULES",
    "CardDraft",
    "CardRule",
    "FileContext",
    "FileDraft",
    "FileRule",
    "Heading",
    "card_problems",
    "file_problems",
]
