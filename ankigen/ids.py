"""Stable identities: note GUIDs, deck ids and note type ids, and the check for duplicates."""

from __future__ import annotations

import hashlib

import genanki

from .errors import Diagnostics
from .model import Card

# Anki's ids are 64-bit; genanki suggests this range for note types and decks.
_ID_LOW, _ID_HIGH = 1 << 30, 1 << 31


def note_guid(namespace: str, identity: str) -> str:
    """A note's GUID: from the deck's namespace and the card's identity, never from its text."""
    return str(genanki.guid_for("ankigen", namespace, identity))


def stable_id(*parts: str) -> int:
    """A fixed integer id derived from names, the same on every machine and every build."""
    digest = hashlib.sha256("\x1f".join(("ankigen", *parts)).encode()).digest()
    return _ID_LOW + int.from_bytes(digest[:8], "big") % (_ID_HIGH - _ID_LOW)


def deck_id(deck_name: str) -> int:
    return stable_id("deck", deck_name)


def check_identities(
    cards: list[Card], diagnostics: Diagnostics, guids: list[str] | None = None
) -> None:
    """Two cards with one identity (or one GUID) in a namespace would be one note in Anki.

    `guids`, when the notes are rendered already, are the cards' GUIDs in the same order.
    """
    seen: dict[str, Card] = {}
    for index, card in enumerate(cards):
        guid = guids[index] if guids else note_guid(card.namespace, card.identity)
        first = seen.setdefault(guid, card)
        if first is not card:
            what = (
                f"card id {card.identity!r}"
                if first.identity == card.identity
                else f"GUID of {card.identity!r} and {first.identity!r}"
            )
            diagnostics.error(
                card.location,
                f"duplicate {what} in deck namespace {card.namespace!r}; "
                f"the first is at {first.location}. Give one of them its own {{#id}}",
            )
