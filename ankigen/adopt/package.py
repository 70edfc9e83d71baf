"""An Anki package from a stranger, read safely: its notes, note types, decks and media.

Both collection formats are read: `collection.anki21b` (zstd-compressed SQLite, schema 18, what
Anki writes since 2.1.50) and the legacy `collection.anki21` / `collection.anki2` (note types and
decks as JSON in the `col` row). Every size is capped before anything is decompressed or
written: a package's own numbers are never trusted, and the SQLite file is opened read-only
from a temporary copy. Media are kept by their names in the package's media map, and a name
that is not a plain file name (a path, `..`, a control character) is refused.
"""

from __future__ import annotations

import json
import re
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MAX_COLLECTION_BYTES = 1024 * 1024 * 1024  # a collection of a million notes is far below it
MAX_MEDIUM_BYTES = 100 * 1024 * 1024  # Anki's own limit for a media file is 100 MB
MAX_MEDIA_BYTES = 4 * 1024 * 1024 * 1024
MAX_ENTRIES = 200_000
_PLAIN_NAME = re.compile(r"[^/\\\x00-\x1f\x7f]{1,255}")


@dataclass(frozen=True)
class NoteType:
    name: str
    fields: tuple[str, ...]
    questions: tuple[str, ...]  # each card template's front
    is_cloze: bool


@dataclass(frozen=True)
class PackagedNote:
    guid: str
    note_type: NoteType
    fields: tuple[str, ...]  # HTML, in the note type's order
    tags: tuple[str, ...]
    deck: str  # of its first card, `Parent::Child`


@dataclass(frozen=True)
class AnkiPackage:
    notes: tuple[PackagedNote, ...]  # in the order Anki created them
    media: dict[str, bytes]  # by the name the notes use
    refused_media: tuple[str, ...]  # names that are no plain file name


def read_anki_package(path: Path) -> AnkiPackage:
    """The notes and media of the .apkg (or .colpkg) at `path`; ValueError naming `path` if it
    cannot be read safely."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = {info.filename: info for info in archive.infolist()}
            if len(entries) > MAX_ENTRIES:
                raise ValueError(f"more than {MAX_ENTRIES} files in the package")
            compressed = "collection.anki21b" in entries
            name = next(
                (
                    n
                    for n in ("collection.anki21b", "collection.anki21", "collection.anki2")
                    if n in entries
                ),
                None,
            )
            if name is None:
                raise ValueError("no collection inside")
            collection = _read(archive, entries[name], MAX_COLLECTION_BYTES, compressed)
            media_map = _media_map(archive, entries, compressed)
            media, refused, total = {}, [], 0
            for number, medium in media_map:
                if not _PLAIN_NAME.fullmatch(medium) or medium in (".", ".."):
                    refused.append(medium)
                    continue
                if number in entries:
                    data = _read(archive, entries[number], MAX_MEDIUM_BYTES, compressed)
                    total += len(data)
                    if total > MAX_MEDIA_BYTES:
                        raise ValueError(f"its media are larger than {MAX_MEDIA_BYTES}")
                    media[medium] = data
    # NotImplementedError: a compression method zipfile lacks; RuntimeError: an encrypted entry
    except (
        zipfile.BadZipFile,
        OSError,
        EOFError,
        NotImplementedError,
        RuntimeError,
        ValueError,
    ) as exc:
        raise ValueError(f"{path}: not a readable Anki package ({exc})") from exc
    try:
        notes = _read_collection(collection)
    except (sqlite3.DatabaseError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: unreadable collection ({exc})") from exc
    return AnkiPackage(notes, media, tuple(refused))


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int, compressed: bool) -> bytes:
    """An entry's bytes, zstd-decompressed in the new format; ValueError past `cap`, whatever
    the entry claims its size is."""
    with archive.open(info) as stream:
        data = stream.read(cap + 1)
    if len(data) > cap:
        raise ValueError(f"{info.filename} is larger than {cap} bytes")
    if not compressed:
        return data
    import zstandard

    try:
        reader = zstandard.ZstdDecompressor().stream_reader(data)
        out = reader.read(cap + 1)
        while len(out) <= cap and (more := reader.read(cap + 1 - len(out))):
            out += more
    except zstandard.ZstdError as exc:
        raise ValueError(f"{info.filename}: {exc}") from exc
    if len(out) > cap:
        raise ValueError(f"{info.filename} is larger than {cap} bytes once decompressed")
    return out


def _media_map(
    archive: zipfile.ZipFile, entries: dict[str, zipfile.ZipInfo], compressed: bool
) -> list[tuple[str, str]]:
    """(zip entry, media name) pairs: JSON in the legacy format, protobuf in the new one."""
    if "media" not in entries:
        return []
    data = _read(archive, entries["media"], MAX_COLLECTION_BYTES, compressed)
    if not compressed:
        index = json.loads(data or b"{}")
        if not isinstance(index, dict):
            raise ValueError("unreadable media list")
        return [(str(number), str(name)) for number, name in index.items()]
    return list(_media_entries(data))


def _media_entries(data: bytes) -> Iterator[tuple[str, str]]:
    """(zip entry, name) of each entry of a `MediaEntries` message: repeated field 1, each
    with its name in field 1 and, when it is not its position, its zip entry in field 255."""
    entries = (v for n, v in _protobuf_fields(data) if n == 1 and isinstance(v, bytes))
    for position, entry in enumerate(entries):
        fields = dict(_protobuf_fields(entry))
        name, number = fields.get(1, b""), fields.get(255, position)
        try:
            yield str(number), name.decode("utf-8") if isinstance(name, bytes) else ""
        except UnicodeDecodeError:
            raise ValueError(f"the name of media entry {position} is not UTF-8") from None


def _protobuf_fields(data: bytes) -> Iterator[tuple[int, bytes | int]]:
    """A protobuf message's (field number, value) pairs: varints and length-delimited only,
    the two kinds Anki's media list and note type settings use."""
    position = 0

    def varint() -> int:
        nonlocal position
        result, shift = 0, 0
        while True:
            if position >= len(data) or shift > 63:
                raise ValueError("truncated protobuf")
            byte = data[position]
            position += 1
            result |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return result

    while position < len(data):
        key = varint()
        number, kind = key >> 3, key & 7
        if kind == 0:
            yield number, varint()
        elif kind == 2:
            length = varint()
            if position + length > len(data):
                raise ValueError("truncated protobuf")
            yield number, data[position : position + length]
            position += length
        elif kind in (1, 5):
            position += 8 if kind == 1 else 4
        else:
            raise ValueError(f"protobuf wire type {kind}")


def _read_collection(collection: bytes) -> tuple[PackagedNote, ...]:
    with tempfile.TemporaryDirectory(prefix="ankigen-import-") as folder:
        db_path = Path(folder, "collection.anki2")
        db_path.write_bytes(collection)
        db = sqlite3.connect(f"{db_path.as_uri()}?mode=ro", uri=True)
        try:
            db.execute("pragma trusted_schema = off")  # no functions run from its schema
            tables = {row[0] for row in db.execute("select name from sqlite_master")}
            types, decks = _schema18(db) if "notetypes" in tables else _legacy(db)
            deck_of = dict(
                db.execute(
                    "select nid, did from cards c where id = "
                    "(select id from cards where nid = c.nid order by ord, id limit 1)"
                ).fetchall()
            )
            rows = db.execute("select id, guid, mid, tags, flds from notes order by id").fetchall()
        finally:
            db.close()
    notes = []
    for nid, guid, mid, tags, flds in rows:
        if not all(isinstance(value, str) for value in (guid, tags, flds)):
            raise ValueError(f"note {nid}: its GUID, tags or fields are not text")
        note_type = types.get(mid) or NoteType(f"note type {mid}", (), (), False)
        values = tuple(flds.split("\x1f"))
        notes.append(
            PackagedNote(
                guid,
                note_type,
                values,
                tuple(tags.split()),
                decks.get(deck_of.get(nid, 0), "Default"),
            )
        )
    return tuple(notes)


def _schema18(db: sqlite3.Connection) -> tuple[dict[int, NoteType], dict[int, str]]:
    """Note types and decks from their own tables (settings as protobuf messages)."""
    fields: dict[int, list[str]] = {}
    for ntid, name in db.execute("select ntid, name from fields order by ntid, ord"):
        fields.setdefault(ntid, []).append(_text(name, "a field name"))
    questions: dict[int, list[str]] = {}
    for ntid, config in db.execute("select ntid, config from templates order by ntid, ord"):
        front = next((v for n, v in _protobuf_fields(config) if n == 1), b"")
        questions.setdefault(ntid, []).append(front.decode() if isinstance(front, bytes) else "")
    types = {}
    for ntid, name, config in db.execute("select id, name, config from notetypes"):
        kind = next((v for n, v in _protobuf_fields(config) if n == 1), 0)
        types[ntid] = NoteType(
            _text(name, "a note type name"),
            tuple(fields.get(ntid, ())),
            tuple(questions.get(ntid, ())),
            kind == 1,
        )
    rows = db.execute("select id, name from decks")  # U+001F: Anki's separator
    decks = {did: _text(name, "a deck name").replace("\x1f", "::") for did, name in rows}
    return types, decks


def _legacy(db: sqlite3.Connection) -> tuple[dict[int, NoteType], dict[int, str]]:
    """Note types and decks from the JSON of the `col` row."""
    models_json, decks_json = db.execute("select models, decks from col").fetchone()
    types = {}
    for model in json.loads(models_json or "{}").values():
        types[int(model["id"])] = NoteType(
            str(model["name"]),
            tuple(f["name"] for f in sorted(model["flds"], key=lambda f: f["ord"])),
            tuple(t.get("qfmt", "") for t in sorted(model["tmpls"], key=lambda t: t["ord"])),
            model.get("type") == 1,
        )
    decks = {int(d["id"]): str(d["name"]) for d in json.loads(decks_json or "{}").values()}
    return types, decks


def _text(value: object, what: str) -> str:
    """`value`, which the collection must hold as text (SQLite lets any column hold a BLOB)."""
    if not isinstance(value, str):
        raise ValueError(f"{what} is not text")
    return value
