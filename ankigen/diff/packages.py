"""A deck's notes and media, read from an .apkg or taken straight from the notes of a build.

A package is read in the legacy schema genanki writes: sqlite inside a zip.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..html_text import field_words, plain_text

if TYPE_CHECKING:
    from ..model import RenderedNote


@dataclass(frozen=True)
class PackagedNote:
    """One note as stored in a package."""

    guid: str
    note_type: str
    fields: dict[str, str]  # field name -> HTML, in the note type's order
    tags: tuple[str, ...]  # sorted
    deck: str  # the deck of its first card
    ordinals: tuple[int, ...] = ()  # Anki's `ord` of each of its cards
    # Seconds since the epoch, which decide whether Anki updates a student's copy; None where
    # the notes do not carry the times a package of them would (a revision's notes).
    modified: int | None = field(default=None, compare=False)

    @property
    def heading(self) -> str:
        """The text a reader knows the note by: its Front or Heading field, else the first."""
        for name in ("Front", "Heading"):
            if name in self.fields:
                return plain_text(self.fields[name])
        return plain_text(next(iter(self.fields.values()), ""))

    @property
    def content(self) -> tuple[str, ...]:
        """The words a learner sees, for similarity: of every field but the source path."""
        return tuple(
            word for k, v in self.fields.items() if k != "Source" for word in field_words(v)
        )


@dataclass(frozen=True)
class PackageContents:
    notes: dict[str, PackagedNote]  # by GUID
    media: dict[str, str]  # media file name -> sha256 hex of its bytes


@dataclass(frozen=True)
class Origin:
    """Where a note of a build comes from; what it takes to give a new heading an old GUID."""

    identity: str
    namespace: str
    location: str  # `path:line` of the heading


def read_package(path: Path) -> PackageContents:
    """The notes and media of an .apkg; ValueError if it is not a package in the legacy schema."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "collection.anki21b" in names and "collection.anki21" not in names:
                raise ValueError(f"{path}: Anki's compressed package format is not supported")
            entry = next((n for n in ("collection.anki21", "collection.anki2") if n in names), None)
            if entry is None:
                raise ValueError(f"{path}: not an Anki package (no collection inside)")
            collection = archive.read(entry)
            index = _media_index(path, archive.read("media") if "media" in names else b"{}")
            media = {
                name: hashlib.sha256(archive.read(number)).hexdigest()
                for number, name in index.items()
                if number in names
            }
    except (zipfile.BadZipFile, OSError) as exc:
        raise ValueError(f"{path}: not an Anki package ({exc})") from exc
    return PackageContents(_read_collection(path, collection), dict(sorted(media.items())))


def _media_index(path: Path, data: bytes) -> dict[str, str]:
    try:
        index = json.loads(data or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: unreadable media list ({exc})") from exc
    if not isinstance(index, dict):
        raise ValueError(f"{path}: unreadable media list")
    return {str(number): str(name) for number, name in index.items()}


def _read_collection(path: Path, collection: bytes) -> dict[str, PackagedNote]:
    with tempfile.TemporaryDirectory(prefix="ankigen-diff-") as folder:
        db_path = Path(folder, "collection.anki2")
        db_path.write_bytes(collection)
        db = sqlite3.connect(db_path)
        try:
            models_json, decks_json = db.execute("select models, decks from col").fetchone()
            models, decks = json.loads(models_json or "{}"), json.loads(decks_json or "{}")
            notes = db.execute("select id, guid, mid, mod, tags, flds from notes").fetchall()
            ordinals: dict[int, list[int]] = {}
            for nid, ord_ in db.execute("select nid, ord from cards order by nid, ord"):
                ordinals.setdefault(nid, []).append(ord_)
            first_cards = db.execute(
                "select nid, did from cards c where id = "
                "(select id from cards where nid = c.nid order by ord, id limit 1)"
            ).fetchall()
        except (sqlite3.DatabaseError, TypeError, ValueError) as exc:
            raise ValueError(f"{path}: unreadable collection ({exc})") from exc
        finally:
            db.close()
    deck_of = {nid: decks.get(str(did), {}).get("name", f"deck {did}") for nid, did in first_cards}
    result = {}
    for nid, guid, mid, modified, tags, flds in notes:
        model = models.get(str(mid), {"name": f"note type {mid}", "flds": []})
        names = [f["name"] for f in sorted(model["flds"], key=lambda f: f["ord"])]
        values = flds.split("\x1f")
        names += [f"Field {i + 1}" for i in range(len(names), len(values))]
        result[guid] = PackagedNote(
            guid=guid,
            note_type=model["name"],
            fields=dict(zip(names, values + [""] * (len(names) - len(values)), strict=True)),
            tags=tuple(sorted(tags.split())),
            deck=deck_of.get(nid, ""),
            ordinals=tuple(ordinals.get(nid, ())),
            modified=modified,
        )
    return dict(sorted(result.items()))


def contents_from_notes(notes: Sequence[RenderedNote]) -> PackageContents:
    """The view `read_package` gives of these notes' package, without writing one, but without
    times: the notes of a revision carry its checkout's times, not those its release carried."""
    from ..notetypes import NOTE_TYPES as types

    packaged = {
        note.guid: PackagedNote(
            guid=note.guid,
            note_type=types[note.kind].name,
            fields=dict(zip(types[note.kind].fields, note.fields, strict=True)),
            tags=tuple(sorted(note.tags)),
            deck=note.deck,
            ordinals=note.ordinals,
        )
        for note in notes
    }
    media = {m.name: hashlib.sha256(m.data).hexdigest() for note in notes for m in note.media}
    return PackageContents(dict(sorted(packaged.items())), dict(sorted(media.items())))


def origins_from_notes(
    notes: Sequence[RenderedNote], folder: Path | None = None
) -> dict[str, Origin]:
    """Each note's identity, namespace and heading location, by GUID, for rename advice.

    With `folder`, a location is shown as if the note's file were in that notes folder: for the
    notes of a revision, built in a temporary copy that is gone by the time they are shown.
    """

    def shown(note: RenderedNote) -> str:
        if folder is None:
            return note.location.path
        return (folder / note.source.path.relative_to(note.source.root)).as_posix()

    return {
        note.guid: Origin(note.identity, note.namespace, f"{shown(note)}:{note.location.line}")
        for note in notes
    }
