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
    # only here: an unchanged build never needs it
    import genanki  # type: ignore[import-untyped, unused-ignore]

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
    deck: str = ""


def check_identities(identities: Sequence[Identity], diagnostics: Diagnostics) -> None:
    """Two cards with one identity (or one GUID) in a namespace would be one note in Anki; two
    deck names that differ only in case would be one deck."""
    check_deck_names(identities, diagnostics)
    seen: dict[str, Identity] = {}
    for card in identities:
        first = seen.setdefault(card.guid, card)
        if first is card:
            continue
        if first.identity == card.identity:
            diagnostics.error(
                card.location,
                f"duplicate card id {card.identity!r} in deck namespace {card.namespace!r}; "
                f"the first is at {first.location}. Give one of them its own {{#id}}",
            )
        else:  # two identities, one GUID: pinned twice with `guid="…"`
            diagnostics.error(
                card.location,
                f"duplicate GUID {card.guid!r} of {card.identity!r} and {first.identity!r}; "
                f'the first is at {first.location}. Change or remove one of their `guid="…"`',
            )


def check_deck_names(identities: Sequence[Identity], diagnostics: Diagnostics) -> None:
    """Anki matches deck names regardless of case and renames a second spelling (`Deck_`).

    Each spelling is reported at its first card, naming the places of the others; a clash is
    reported at the highest level it happens (`Deck` and `deck`, not their subdecks too)."""
    own: dict[str, Location] = {}  # every deck -> its first card
    for card in identities:
        where = own.get(card.deck)
        if where is None or card.location < where:
            own[card.deck] = card.location
    first: dict[str, Location] = {}  # every deck and parent deck -> its first card
    for deck, where in own.items():
        parts = deck.split("::") if deck else []
        for depth in range(1, len(parts) + 1):
            name = "::".join(parts[:depth])
            if name not in first or where < first[name]:
                first[name] = where
    spellings: dict[str, list[str]] = {}
    for name in sorted(first, key=lambda name: (first[name], name)):
        spellings.setdefault(name.casefold(), []).append(name)
    clashing = {key for key, names in spellings.items() if len(names) > 1}
    for key in sorted(clashing):
        parents = (key[:at] for at in range(len(key)) if key.startswith("::", at))
        if any(parent in clashing for parent in parents):
            continue  # reported at its parent (looked up, not searched: there may be thousands)
        names = spellings[key]
        for name in names:
            others = "; ".join(
                f"{other!r} (its first card at {first[other]})" for other in names if other != name
            )
            diagnostics.error(
                first[name],
                f"this card's deck {name!r} differs only in case from {others}: Anki takes them "
                "for one deck and renames one of them. Spell them alike",
            )
