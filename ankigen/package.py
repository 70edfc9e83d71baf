"""Notes -> .apkg: the only module that writes packages (genanki for the collection's schema,
sqlite for its notes and cards, zip for the archive). diff/packages.py reads them back.

genanki writes the collection; the archive is written here, with fixed entry dates, modes and
order, so the same notes and times give the same bytes. The file appears atomically.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import genanki  # type: ignore[import-untyped, unused-ignore]

from .ids import deck_id
from .model import MediaFile, PackageNote
from .notetypes import NOTE_TYPES, NoteType, card_css
from .storage import write_atomically

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can hold
DEFAULT_DECK = 1  # the id of Anki's "Default" deck and of its default options group


class _Model(genanki.Model):  # type: ignore[misc]
    """A genanki model that carries its note type's own time, not the package's."""

    def __init__(self, note_type: NoteType) -> None:
        super().__init__(
            note_type.id,
            note_type.name,
            fields=[
                {"name": name, "id": id_}
                for name, id_ in zip(note_type.fields, note_type.field_ids, strict=True)
            ],
            templates=[
                {
                    "name": template.name,
                    "id": template.id,
                    "qfmt": template.front,
                    "afmt": template.back,
                }
                for template in note_type.templates
            ],
            css=card_css(),
            model_type=genanki.Model.CLOZE if note_type.is_cloze else genanki.Model.FRONT_BACK,
            sort_field_index=note_type.sort_field,
        )
        self.changed = note_type.changed

    def to_json(self, timestamp: float, deck_id: int) -> dict[str, Any]:
        # Anki replaces a student's note type only with a newer one: this time moves when the
        # note type changes, never with the notes. Its deck for new notes is Anki's Default
        # deck, which every collection has: the note type serves every ankigen deck, and the
        # importer would keep a package's deck id that names no deck of the student's.
        return {**super().to_json(timestamp, deck_id), "mod": self.changed, "did": DEFAULT_DECK}


def _deck_json(deck_id: int, name: str, timestamp: int) -> dict[str, Any]:
    """A deck as `col.decks` holds it, without genanki's sample values (`newToday [163, 2]`, a
    2015 time)."""
    today = [0, 0]  # (day, count): nothing studied yet
    return {
        "collapsed": False,
        "browserCollapsed": False,
        "conf": DEFAULT_DECK,  # Anki's default options group
        "desc": "",
        "dyn": 0,
        "extendNew": 0,
        "extendRev": 0,
        "id": deck_id,
        "lrnToday": today,
        "mod": timestamp,
        "name": name,
        "newToday": today,
        "revToday": today,
        "timeToday": today,
        "usn": -1,
    }


def note_type_json(note_type: NoteType) -> dict[str, Any]:
    """The note type as a package's `col.models` holds it, but for the deck it opens in."""
    written = _Model(note_type).to_json(0, 0)
    del written["did"]
    return written


def collection_bytes(notes: Sequence[PackageNote], timestamp: int) -> bytes:
    """The `collection.anki2` database of the given notes.

    genanki writes the schema; the decks and note types are written here, once, and the notes
    and cards inserted in bulk, each note with its own modification time (which decides Anki's
    updates) and one card per ordinal: for a cloze, one per cloze number, nested deletions included
    (genanki's own scan skips `{{c3::...}}` inside `{{c2::...}}`, a card Anki would add only
    later).

    A new card's `due` is its position in the new-card queue, and Anki's importer keeps it: the
    cards are numbered from 1 in the notes' order, a note's cards in ordinal order.
    """
    by_deck: dict[str, list[tuple[int, PackageNote]]] = {}
    positions = itertools.accumulate((len(note.ordinals) for note in notes), initial=1)
    for position, note in zip(positions, notes, strict=False):
        by_deck.setdefault(note.deck, []).append((position, note))
    decks = [
        _PackageDeck(deck_id(name), name, tuple(sorted({note.kind for _, note in members})))
        for name, members in sorted(by_deck.items())
    ]
    ids = itertools.count(timestamp * 1000)
    note_rows, card_rows = [], []
    for deck in decks:
        for first, note in by_deck[deck.name]:
            note_id, modified = next(ids), note.modified
            note_type = NOTE_TYPES[note.kind]
            note_rows.append(
                (
                    note_id,
                    note.guid,
                    note_type.id,
                    modified,
                    -1,
                    f" {' '.join(note.tags)} ",
                    "\x1f".join(note.fields),
                    note.fields[note_type.sort_field],
                    0,
                    0,
                    "",
                )
            )
            card_rows += [
                (
                    next(ids),
                    note_id,
                    deck.deck_id,
                    ord_,
                    modified,
                    -1,
                    0,
                    0,
                    due,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    "",
                )
                for due, ord_ in enumerate(note.ordinals, start=first)
            ]
    connection = sqlite3.connect(":memory:")
    try:
        cursor = connection.cursor()
        genanki.Package([]).write_to_db(cursor, timestamp, ids)  # the schema, no deck yet
        _add_decks_and_note_types(cursor, decks, timestamp)
        # The indexes are built once after the bulk insert, not row by row: a third faster.
        indexes = cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        ).fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.executemany(f"INSERT INTO notes VALUES({','.join('?' * 11)})", note_rows)
        cursor.executemany(f"INSERT INTO cards VALUES({','.join('?' * 18)})", card_rows)
        for _, sql in indexes:
            cursor.execute(sql)
        connection.commit()
        return connection.serialize()
    finally:
        connection.close()


class _PackageDeck(NamedTuple):
    """A deck of the package: its id, name and the kinds of its notes, sorted."""

    deck_id: int
    name: str
    kinds: tuple[str, ...]


def _add_decks_and_note_types(
    cursor: sqlite3.Cursor, decks: Sequence[_PackageDeck], timestamp: int
) -> None:
    """Write the decks and their note types into the collection's JSON, each column once.

    genanki's `Deck.write_to_db` reads, parses and rewrites both columns once per deck, which
    costs decks x decks. This writes the text genanki's last rewrite left, in one pass, so Anki
    reads the same JSON as before (a package of one deck is byte-identical; one of several
    lacks the free pages genanki's rewrites left in the database, so it is smaller). The text
    keeps a quirk of genanki's: a deck's note types go in keyed by number, which a JSON parse
    reads back as strings, so the last deck's note types appear a second time after the ones
    the earlier decks left, as Anki has always imported them."""
    if not decks:
        return  # genanki leaves both columns as its template wrote them
    note_types = {
        kind: _Model(note_type).to_json(timestamp, DEFAULT_DECK)
        for kind, note_type in NOTE_TYPES.items()
    }
    decks_text, note_types_text = cursor.execute("SELECT decks, models FROM col").fetchone()
    all_decks, read_back = json.loads(decks_text), json.loads(note_types_text)
    last_deck_types: dict[int, dict[str, Any]] = {}
    for deck in decks:
        all_decks[str(deck.deck_id)] = _deck_json(deck.deck_id, deck.name, timestamp)
        read_back.update((str(key), value) for key, value in last_deck_types.items())
        last_deck_types = {NOTE_TYPES[kind].id: note_types[kind] for kind in deck.kinds}
    cursor.execute("UPDATE col SET decks = ?", (json.dumps(all_decks),))
    cursor.execute("UPDATE col SET models = ?", (json.dumps({**read_back, **last_deck_types}),))


def write_apkg(
    path: Path,
    notes: Sequence[PackageNote],
    media: Sequence[MediaFile],
    timestamp: int,
    project: Path,
) -> int:
    """Write the package atomically (a failed build leaves the old file), never through a link
    out of the run's `project`; returns its size."""
    collection = collection_bytes(notes, timestamp)
    ordered = sorted(media, key=lambda m: m.name)

    def write(file: BinaryIO) -> None:
        with zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED) as apkg:
            _add(apkg, "collection.anki2", collection)
            index = {str(i): m.name for i, m in enumerate(ordered)}
            _add(apkg, "media", json.dumps(index, sort_keys=True).encode())
            for i, medium in enumerate(ordered):
                _add(apkg, str(i), medium.data)

    write_atomically(path, write, project)
    return path.stat().st_size


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.external_attr = 0o100644 << 16
    info.create_system = 3
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data, compresslevel=1)  # most of the gain, a fraction of the time
