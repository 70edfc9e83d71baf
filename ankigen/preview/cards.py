"""Notes -> the cards Anki makes of them, each rendered with its note type's own templates."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from ..anki_cloze import clozes_as_text
from ..html_text import strip_html
from ..model import RenderedNote
from ..notetypes import NOTE_TYPES, NoteType
from .templates import card_ordinals, render_card


@dataclass(frozen=True)
class PreviewCard:
    """One card of a note: its question and answer HTML exactly as Anki renders them."""

    note: RenderedNote
    ordinal: int  # Anki's card ordinal: its template's index, or cloze number - 1 for a cloze
    question: str
    answer: str
    note_cards: int = 1  # how many cards the note has

    @property
    def key(self) -> str:
        """Unique in a deck: the note's GUID and the card's ordinal."""
        return f"{self.note.guid}:{self.ordinal}"

    @property
    def note_type(self) -> NoteType:
        return NOTE_TYPES[self.note.kind]

    @property
    def title(self) -> str:
        """The card's heading as plain text, deletions shown."""
        heading = self.note.fields[1] if self.note_type.is_cloze else self.note.fields[0]
        return " ".join(strip_html(clozes_as_text(heading)).split())


def note_fields(note: RenderedNote) -> dict[str, str]:
    """A note's fields by name, as Anki stores them after import (Unicode NFC)."""
    names = NOTE_TYPES[note.kind].fields
    values = (unicodedata.normalize("NFC", value) for value in note.fields)
    return dict(zip(names, values, strict=True))


def preview_cards(notes: Sequence[RenderedNote]) -> list[PreviewCard]:
    """Every card of the notes, in note order, each note's cards by ordinal."""
    cards = []
    for note in notes:
        note_type, fields = NOTE_TYPES[note.kind], note_fields(note)
        ordinals = card_ordinals(note_type.front, fields, is_cloze=note_type.is_cloze)
        if not note_type.is_cloze:
            ordinals = tuple(range(len(note_type.templates)))  # one card per template
        for ordinal in ordinals:
            template = note_type.templates[0 if note_type.is_cloze else ordinal]
            rendered = render_card(
                template.front,
                template.back,
                fields,
                ordinal,
                is_cloze=note_type.is_cloze,
                deck=note.deck,
            )
            cards.append(
                PreviewCard(note, ordinal, rendered.question, rendered.answer, len(ordinals))
            )
    return cards
