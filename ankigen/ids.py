"""Stable identities: note GUIDs, deck ids and note type ids, and the check for duplicates."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import NamedTuple

from .errors import Diagnostics, Location

# Anki's ids are 64-bit; genanki suggests this range for note types and decks.
_ID_LOW, _ID_HIGH = 1 << 30, 1 << 31


def note_guid(namespace: str, identity: str) -> str:
    """A note's GUID: from the deck's namespace and the card's identity, never from its text."""
    import genanki  # only here: an unchanged build never needs it

    return str(genanki.guid_for("ankigen", namespace, identity))


def stable_id(*parts: str) -> int:
    """A fixed integer id derived from names, the same on every machine and every build."""
    digest = hashlib.sha256("\x1f".join(("ankigen", *parts)).encode()).digest()
    return _ID_LOW + int.from_bytes(digest[:8], "big") % (_ID_HIGH - _ID_LOW)


def deck_id(deck_name: str) -> int:
    return stable_id("deck", deck_name)


class Identity(NamedTuple):
    """What makes a note itself in Anki, and where its card was written."""

    guid: str
    identity: str
    namespace: str
    location: Location


def check_identities(identities: Sequence[Identity], diagnostics: Diagnostics) -> None:
    """Two cards with one identity (or one GUID) in a namespace would be one note in Anki."""
    seen: dict[str, Identity] = {}
    for card in identities:
        first = seen.setdefault(card.guid, card)
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
