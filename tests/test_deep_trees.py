"""Deep deck trees: many nested subdecks in one package land in Anki as written, and the
package's decks and note types are written once, in the JSON genanki's per-deck writes left."""

from __future__ import annotations

import itertools
import json
import sqlite3
from typing import Any

import genanki
import pytest

from ankigen import package
from ankigen.ids import deck_id
from ankigen.model import PackageNote
from ankigen.notetypes import NOTE_TYPES

from .conftest import Project, import_apkg

PARTS, CHAPTERS, CARDS = 4, 5, 2  # per file: 4 parts of 5 chapters of 2 cards


def _write_tree(project: Project, name: str, deck: str) -> dict[str, str]:
    """A note file of three levels (its deck, parts, chapters), a basic or cloze card in every
    chapter and one straight in every part; returns each card's marker -> its deck."""
    lines, expected = [f"---\ndeck: {deck}\n---\n"], {}
    for part in range(PARTS):
        lines.append(f"## Part {part}\n")
        marker = f"{name}-p{part}-loose"
        lines.append(f"### Loose {part}\n\nThe text {marker}.\n")
        expected[marker] = f"{deck}::Part {part}"
        for chapter in range(CHAPTERS):
            lines.append(f"### Chapter {chapter}\n")
            for card in range(CARDS):
                marker = f"{name}-p{part}-c{chapter}-{card}"
                body = f"{{{{c1::{marker}}}}} here" if card % 2 else f"The text {marker}."
                lines.append(f"#### Card {card}\n\n{body}\n")
                expected[marker] = f"{deck}::Part {part}::Chapter {chapter}"
    project.write(f"source_notes/{name}.md", "\n".join(lines))
    return expected


def test_every_card_of_a_deep_tree_lands_in_its_deck(collection, project: Project) -> None:  # type: ignore[no-untyped-def]
    expected = _write_tree(project, "tree", "Tree")
    expected |= _write_tree(project, "grove", "Forest::Grove")
    result = project.build("-o", "trees.apkg")
    assert result.exit_code == 0, result.stderr
    log = import_apkg(collection, project.root / "trees.apkg")
    assert len(log.new) == len(expected) and not log.updated and not log.conflicting
    names = {deck.name for deck in collection.decks.all_names_and_ids()}
    leaves = set(expected.values())
    assert len(leaves) == 2 * PARTS * (CHAPTERS + 1)
    parents = {"::".join(leaf.split("::")[:depth]) for leaf in leaves for depth in (1, 2, 3)}
    assert leaves | parents <= names
    landed = {}
    for card_id in collection.find_cards(""):
        card = collection.get_card(card_id)
        (marker,) = {m for m in expected if m in "\x1f".join(card.note().fields)}
        landed[marker] = collection.decks.name(card.did)
    assert landed == expected


def _package_notes(decks: int) -> list[PackageNote]:
    """Notes in `decks` decks three levels deep, each deck with basic notes, cloze notes or
    both (so that the note types of the decks differ)."""
    notes = []
    for number in range(decks):
        deck = f"Top::Level {number % 7}::Deck {number}"
        for kind in [("basic",), ("cloze",), ("cloze", "basic")][number % 3]:
            fields = ("{{c1::x}}", "", "") if kind == "cloze" else ("front", "back", "")
            notes.append(PackageNote(f"g{number}{kind}", kind, fields, deck, (), 1, (0,)))
    return notes


def _columns(collection: bytes) -> tuple[str, str]:
    """The collection's decks and note types JSON."""
    connection = sqlite3.connect(":memory:")
    connection.deserialize(collection)
    decks, models = connection.execute("SELECT decks, models FROM col").fetchone()
    connection.close()
    return decks, models


def test_the_collection_row_is_written_once_whatever_the_number_of_decks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    statements: list[str] = []
    connect = sqlite3.connect

    def traced(*args: Any) -> sqlite3.Connection:
        connection = connect(*args)
        connection.set_trace_callback(statements.append)
        return connection

    monkeypatch.setattr(sqlite3, "connect", traced)
    for decks in (1, 200):
        statements.clear()
        package.collection_bytes(_package_notes(decks), 1_700_000_000)
        writes = [s for s in statements if s.startswith("UPDATE col")]
        assert [s.split(" = ")[0] for s in writes] == [
            "UPDATE col SET decks",
            "UPDATE col SET models",
        ]


def test_decks_and_note_types_are_the_json_genanki_wrote_deck_by_deck() -> None:
    notes = _package_notes(40)
    decks, models = _columns(package.collection_bytes(notes, 1_700_000_000))

    class Deck(genanki.Deck):  # type: ignore[misc]
        def to_json(self) -> dict[str, Any]:
            return package._deck_json(self.deck_id, self.name, 1_700_000_000)

    kinds: dict[str, set[str]] = {}
    for note in notes:
        kinds.setdefault(note.deck, set()).add(note.kind)
    old_decks = []  # as ankigen gave them to genanki: sorted by name, note types by kind
    for name in sorted(kinds):
        deck = Deck(deck_id(name), name)
        for kind in sorted(kinds[name]):
            deck.add_model(package._Model(NOTE_TYPES[kind]))
        old_decks.append(deck)
    connection = sqlite3.connect(":memory:")
    cursor = connection.cursor()
    genanki.Package(old_decks).write_to_db(cursor, 1_700_000_000, itertools.count())
    assert (decks, models) == cursor.execute("SELECT decks, models FROM col").fetchone()
    connection.close()
    assert len(json.loads(decks)) == 1 + 40  # Anki's Default deck and ours
