"""Notes -> the cards Anki makes of them, each rendered with its note type's own templates."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from ..anki_cloze import clozes_as_text
from ..html_text import strip_html
from ..model import RenderedNote
from ..notetypes import NOTE_TYPES, NoteType
from .templates import RenderedCard, card_ordinals, render_card, typed_answer_shown


@dataclass(frozen=True)
class PreviewCard:
    """One card of a note: its question and answer HTML exactly as Anki renders them, rendered
    when first asked for (a preview shows most cards from the files of an earlier run)."""

    note: RenderedNote
    ordinal: int  # Anki's card ordinal: its template's index, or cloze number - 1 for a cloze
    note_cards: int = 1  # how many cards the note has

    @cached_property
    def fields(self) -> dict[str, str]:
        """The note's fields by name, as its templates read them."""
        return note_fields(self.note)

    @cached_property
    def rendered(self) -> RenderedCard:
        note_type = self.note_type
        template = note_type.templates[0 if note_type.is_cloze else self.ordinal]
        return render_card(
            template.front,
            template.back,
            self.fields,
            self.ordinal,
            is_cloze=note_type.is_cloze,
            deck=self.note.deck,
        )

    @property
    def question(self) -> str:
        return self.rendered.question

    @property
    def answer(self) -> str:
        return self.rendered.answer

    @property
    def shown_question(self) -> str:
        """The question as Anki's reviewer shows it: a type-in card's answer box put in."""
        return typed_answer_shown(self.question, self.fields, question=True)

    @property
    def shown_answer(self) -> str:
        """The answer as the reviewer shows it: the typed answer compared (here, nothing typed)."""
        return typed_answer_shown(self.answer, self.fields, question=False)

    @property
    def kind(self) -> str:
        """What the preview calls the card: its note's kind, and which of the note's cards."""
        if self.note_type.is_cloze:
            many = f" · {self.note_cards} cards" if self.note_cards > 1 else ""
            return f"Cloze {self.ordinal + 1}{many}"
        if self.note.kind == "reversed":
            return f"Reversed · card {self.ordinal + 1} of 2"
        return "Type-in" if self.note.kind == "type" else "Basic"

    @cached_property  # asked for by every step that places or keys the card
    def key(self) -> str:
        """Unique in a deck: the note's GUID and the card's ordinal."""
        return f"{self.note.guid}:{self.ordinal}"

    @property
    def note_type(self) -> NoteType:
        return NOTE_TYPES[self.note.kind]

    @cached_property  # shown on the tile and searched by the filter
    def title(self) -> str:
        """The card's heading as plain text, deletions shown."""
        heading = self.note.fields[1] if self.note_type.is_cloze else self.note.fields[0]
        return " ".join(strip_html(clozes_as_text(heading)).split())


def note_fields(note: RenderedNote) -> dict[str, str]:
    """A note's fields by name, as Anki stores them after import (Unicode NFC)."""
    names = NOTE_TYPES[note.kind].fields
    values = (unicodedata.normalize("NFC", value) for value in note.fields)
    return dict(zip(names, values, strict=True))


def preview_cards(notes: Sequence[RenderedNote], remember: bool = False) -> list[PreviewCard]:
    """Every card of the notes, in note order, each note's cards by ordinal. With `remember`
    (`--serve`), the cards are kept for the next call: a note asked for before (the very
    object: the caches give it again while its file is unchanged) gets the same cards, with
    what they worked out (key, title)."""
    cards: list[PreviewCard] = []
    made: dict[int, list[PreviewCard]] = {}
    for note in notes:
        mine = _MADE.get(id(note))
        if mine is None or mine[0].note is not note:
            ordinals = _ordinals(note.kind, note.fields)
            mine = [PreviewCard(note, ordinal, len(ordinals)) for ordinal in ordinals]
        if remember and mine:
            made[id(note)] = mine
        cards += mine
    _MADE.clear()
    _MADE.update(made)
    return cards


def let_go(cards: Sequence[PreviewCard]) -> None:
    """Forget the cards' rendered HTML and fields, kept until now for the page: the cards of
    the latest run are kept for the next (`--serve`), the HTML is in the chunks' files."""
    for card in cards:
        card.__dict__.pop("rendered", None)
        card.__dict__.pop("fields", None)


# The cards of each note of the latest run that remembered them, by the note (which they hold,
# so that its id is not another's): `--serve` asks for every note's cards on each save.
_MADE: dict[int, list[PreviewCard]] = {}


@functools.lru_cache(maxsize=1 << 16)  # `--serve` asks again for every note on each save
def _ordinals(kind: str, fields: tuple[str, ...]) -> tuple[int, ...]:
    note_type = NOTE_TYPES[kind]
    if not note_type.is_cloze:
        return tuple(range(len(note_type.templates)))  # one card per template
    values = (unicodedata.normalize("NFC", value) for value in fields)
    return card_ordinals(
        note_type.front, dict(zip(note_type.fields, values, strict=True)), is_cloze=True
    )
