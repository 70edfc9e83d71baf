"""Notes -> .apkg: the only module that touches genanki, sqlite and zip.

genanki writes the collection; the archive is written here, with fixed entry dates, modes and
order, so the same notes and times give the same bytes. The file appears atomically.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import genanki

from .cloze import cloze_numbers
from .ids import deck_id
from .model import MediaFile, Note
from .notetypes import BASIC, CLOZE, NoteType, card_css
from .storage import write_atomically

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can hold


class _TimedNote(genanki.Note):  # type: ignore[misc]
    """A genanki note that carries its own modification time, which decides Anki's updates."""

    def __init__(self, modified: int, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.modified = modified

    def write_to_db(self, cursor, timestamp, deck_id, id_gen):  # type: ignore[no-untyped-def]
        super().write_to_db(cursor, self.modified, deck_id, id_gen)

    @property
    def cards(self) -> list[genanki.Card]:
        """One card per cloze number, nested deletions included (genanki's own scan skips
        `{{c3::...}}` inside `{{c2::...}}`, and Anki would add that card only later)."""
        if self.model.model_type != genanki.Model.CLOZE:
            return list(super().cards)
        return [genanki.Card(number - 1) for number in sorted(cloze_numbers(*self.fields))]


def _genanki_model(note_type: NoteType) -> genanki.Model:
    return genanki.Model(
        note_type.id,
        note_type.name,
        fields=[{"name": name} for name in note_type.fields],
        templates=[
            {
                "name": "Cloze" if note_type.is_cloze else "Card 1",
                "qfmt": note_type.front,
                "afmt": note_type.back,
            }
        ],
        css=card_css(),
        model_type=genanki.Model.CLOZE if note_type.is_cloze else genanki.Model.FRONT_BACK,
        sort_field_index=note_type.sort_field,
    )


def collection_bytes(notes: Sequence[Note], timestamp: int) -> bytes:
    """The `collection.anki2` database of the given notes, via genanki."""
    models = {"basic": _genanki_model(BASIC), "cloze": _genanki_model(CLOZE)}
    decks: dict[str, genanki.Deck] = {}
    for note in notes:
        name = note.card.deck
        if name not in decks:
            decks[name] = genanki.Deck(deck_id(name), name)
        decks[name].add_note(
            _TimedNote(
                note.card.source.modified,
                model=models[note.kind],
                fields=list(note.fields),
                guid=note.guid,
                tags=list(note.card.tags),
            )
        )
    with tempfile.TemporaryDirectory(prefix="ankigen-") as folder:
        db_path = Path(folder, "collection.anki2")
        connection = sqlite3.connect(db_path)
        try:
            package = genanki.Package([decks[name] for name in sorted(decks)])
            package.write_to_db(connection.cursor(), timestamp, itertools.count(timestamp * 1000))
            connection.commit()
        finally:
            connection.close()
        return db_path.read_bytes()


def write_apkg(
    path: Path, notes: Sequence[Note], media: Sequence[MediaFile], timestamp: int
) -> int:
    """Write the package atomically (a failed build leaves the old file); returns its size."""
    collection = collection_bytes(notes, timestamp)
    ordered = sorted(media, key=lambda m: m.name)

    def write(file: BinaryIO) -> None:
        with zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED) as apkg:
            _add(apkg, "collection.anki2", collection)
            index = {str(i): m.name for i, m in enumerate(ordered)}
            _add(apkg, "media", json.dumps(index, sort_keys=True).encode())
            for i, medium in enumerate(ordered):
                _add(apkg, str(i), medium.data)

    write_atomically(path, write)
    return path.stat().st_size


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.external_attr = 0o100644 << 16
    info.create_system = 3
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data, compresslevel=1)  # most of the gain, a fraction of the time
