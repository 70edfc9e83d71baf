"""The notes cache: each note file's rendered notes and problems, so an unchanged file is not
parsed or rendered again.

An entry is found by a key that covers everything the result depends on: ankigen's own code,
the versions of the libraries that shape the HTML, the settings, the file's path and text. The
files a note file consulted (its pictures, found or not) are recorded as written, and where they
lead, with size and time, and checked on load. Entries are JSON sealed with this machine's key
(storage.py) and media are stored under their content hash, which is checked, so a cache folder
from elsewhere can never run code or slip bytes into a deck.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sqlite3
import stat
import sys
import urllib.parse
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from functools import cache
from pathlib import Path
from typing import Any

from .config import Config
from .errors import Diagnostic, Location
from .model import Card, MediaFile, Note, SourceFile
from .storage import (
    check_inside_project,
    digest_regular,
    read_regular,
    seal,
    unseal,
    write_atomically,
)

FORMAT = 4  # entries name their own key; signatures with change time and inode
_LIBRARIES = (
    "markdown-it-py",
    "mdit-py-plugins",
    "linkify-it-py",
    "pygments",
    "nh3",
    "python-slugify",
    "pyyaml",
    "genanki",
    "matplotlib",
)


@cache
def code_fingerprint() -> str:
    """ankigen's own source and the versions of the libraries that shape its output."""
    digest = hashlib.sha256(f"format {FORMAT}".encode())
    package = Path(__file__).parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    for library, version in _library_versions().items():
        digest.update(f"{library} {version}".encode())
    return digest.hexdigest()


def _library_versions() -> dict[str, str]:
    """The installed version of each library in `_LIBRARIES`: read off the names of the
    `name-version.dist-info` (or `.egg-info`) folders on the import path, first found first (as
    imports are), and asked of importlib.metadata only for a library not found that way, since
    importing it would cost more than the rest of an unchanged build's start."""
    wanted = {_project_key(name): name for name in _LIBRARIES}
    found: dict[str, str] = {}
    for folder in sys.path:
        try:
            entries = os.listdir(folder) if folder else []  # not the working folder's
        except OSError:
            continue
        for entry in entries:
            for suffix in (".dist-info", ".egg-info"):
                if entry.endswith(suffix):
                    project, _, rest = entry.removesuffix(suffix).partition("-")
                    found.setdefault(_project_key(project), rest.split("-")[0])
    versions = {}
    for key, name in wanted.items():
        if key not in found:
            from importlib import metadata

            try:
                found[key] = metadata.version(name)
            except metadata.PackageNotFoundError:
                found[key] = "missing"
        versions[name] = found[key]
    return versions


def _project_key(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


@dataclass(frozen=True)
class CacheEntry:
    """A file's rendered notes as rows (see `note_row`), its problems and its media by name."""

    rows: list[dict[str, Any]]
    parse_problems: list[Diagnostic]
    render_problems: list[Diagnostic]
    media: dict[str, MediaFile]


class NoteCache:
    """Rendered notes of note files, sealed, in `folder`/notes.sqlite; media in `folder`/media.

    Call `close` when done: new entries are written then, in one transaction.
    """

    def __init__(self, folder: Path, config: Config) -> None:
        self.folder = folder
        self.media_dir = folder / "media"
        self.entries = _EntryStore(folder / "notes.sqlite")
        settings = json.dumps({k: str(v) for k, v in asdict(config).items()}, sort_keys=True)
        self.prefix = f"{code_fingerprint()}\x1f{settings}"

    def key(self, source: SourceFile) -> str:
        """What a file's notes depend on, but for the files it consults (checked on load)."""
        text = f"{self.prefix}\x1f{source.display}\x1f{source.root}\x1f{source.path}\x1f"
        return hashlib.sha256(text.encode() + source.text.encode()).hexdigest()

    def load(self, keys: Sequence[str]) -> dict[str, CacheEntry]:
        """The entries stored under `keys` whose consulted files and media are as stored.

        Rows stay plain data: an unchanged build never makes note objects of them.
        """
        stored = self.entries.get(keys)
        found = {}
        for key, sealed in stored.items():
            entry = self._entry(key, sealed)
            if entry is not None:
                found[key] = entry
        return found

    def _entry(self, key: str, sealed: bytes) -> CacheEntry | None:
        try:
            blob = unseal(sealed)
            if blob is None:
                return None
            entry = json.loads(blob)
            if entry["key"] != key:  # a sealed entry moved under another file's key
                return None
            if any(_signature(Path(p)) != s for p, s in entry["consulted"]):
                return None
            media = {name: self._medium(name) for name in entry["media"]}
            if any(m is None for m in media.values()):
                return None
            parsing = [_diagnostic(row) for row in entry["parse_problems"]]
            rendering = [_diagnostic(row) for row in entry["render_problems"]]
            return CacheEntry(entry["notes"], parsing, rendering, media)  # type: ignore[arg-type]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def store(
        self,
        key: str,
        rows: list[dict[str, Any]],
        media: list[MediaFile],
        problems: tuple[list[Diagnostic], list[Diagnostic]],
        consulted: set[Path],
    ) -> None:
        """Remember a freshly rendered file with its problems from parsing and rendering; a
        cache that cannot be written is only slower."""
        parsing, rendering = problems
        entry = {
            "key": key,
            "notes": rows,
            "parse_problems": [_diagnostic_row(d) for d in parsing],
            "render_problems": [_diagnostic_row(d) for d in rendering],
            "media": sorted({m.name for m in media}),
            "consulted": [[str(p), _signature(p)] for p in sorted(consulted)],
        }
        sealed = seal(json.dumps(entry).encode())
        if sealed is None:
            return
        try:
            for medium in media:
                path = self.media_dir / medium.name
                if not _regular(path):  # a planted link or device is replaced
                    write_atomically(path, medium.data)
        except OSError:
            return
        self.entries.put(key, sealed)

    def close(self) -> None:
        self.entries.close()

    def _medium(self, name: str) -> MediaFile | None:
        if not isinstance(name, str) or not _MEDIUM_NAME.fullmatch(name):
            return None
        try:
            data = read_regular(self.media_dir / name)
        except OSError:
            return None
        digest = name.removeprefix("ankigen-").split(".")[0]
        return (
            MediaFile(name, data)
            if hashlib.sha256(data).hexdigest()[: len(digest)] == (digest)
            else None
        )


class _EntryStore:
    """Sealed records by key, in one SQLite file: a build of thousands of small note files
    would spend longer creating and opening a file per entry than parsing the notes.

    The file may come from anywhere (a pull request can commit `build/`, links included), so it
    is read through a read-only connection, and only when it is a plain file whose schema is
    exactly ours, with untrusted schema features off. Anything else is never written through:
    a build replaces it with a database of its own (`check` only does without). A database that
    is merely busy is left alone.
    """

    _SCHEMA = "CREATE TABLE entries (key TEXT PRIMARY KEY, sealed BLOB NOT NULL)"
    _EXPECTED = (("table", "entries", _SCHEMA), ("index", "sqlite_autoindex_entries_1", None))
    _BATCH = 500  # keys to a query, well under SQLite's limit of parameters
    _WAIT = 30  # seconds to wait for another build's transaction

    def __init__(self, path: Path) -> None:
        self.path = path
        self._pending: list[tuple[str, bytes]] = []
        self._foreign = False  # the file is not a database of ours, or a damaged one

    def get(self, keys: Sequence[str]) -> dict[str, bytes]:
        """The records stored under any of `keys`."""
        found: dict[str, bytes] = {}
        if not self._plain_file():
            return found
        db = None
        try:
            uri = f"file:{urllib.parse.quote(str(self.path))}?mode=ro"
            db = sqlite3.connect(uri, uri=True, timeout=self._WAIT)
            if not self._ours(db):
                self._foreign = True
                return found
            for start in range(0, len(keys), self._BATCH):
                batch = keys[start : start + self._BATCH]
                marks = ",".join("?" * len(batch))
                query = f"SELECT key, sealed FROM entries WHERE key IN ({marks})"
                for key, sealed in db.execute(query, batch).fetchall():
                    if isinstance(sealed, bytes):
                        found[key] = sealed
        except sqlite3.OperationalError:
            pass  # busy, or cannot be opened: do without
        except sqlite3.DatabaseError:
            self._foreign = True  # not a database, or a damaged one
        finally:
            if db is not None:
                db.close()
        return found

    def put(self, key: str, sealed: bytes) -> None:
        self._pending.append((key, sealed))

    def close(self) -> None:
        """Write the new entries, in one transaction; a cache that cannot be written is only
        slower."""
        pending, self._pending = self._pending, []
        if not pending:
            return
        db = None
        try:
            db = self._writable()
            if db is not None:
                with db:
                    db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?)", pending)
        except (OSError, sqlite3.Error):
            pass
        finally:
            if db is not None:
                db.close()

    def _writable(self) -> sqlite3.Connection | None:
        if self._plain_file() and not self._foreign:
            db = sqlite3.connect(self.path, timeout=self._WAIT)
            try:
                if self._ours(db):
                    return db
            except sqlite3.OperationalError:
                db.close()
                return None  # busy: keep it, do without
            except sqlite3.DatabaseError:
                pass
            db.close()
        # Not ours (a link, a folder, another database, a damaged one, or none): start afresh,
        # never following a link.
        if self.path.is_symlink() or self.path.is_file():
            self.path.unlink()
        elif self.path.exists():
            return None  # a folder or a device in the way
        check_inside_project(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644))
        db = sqlite3.connect(self.path, timeout=self._WAIT)
        db.execute(self._SCHEMA)
        return db

    def _plain_file(self) -> bool:
        try:
            return stat.S_ISREG(os.lstat(self.path).st_mode)
        except OSError:
            return False

    def _ours(self, db: sqlite3.Connection) -> bool:
        db.execute("PRAGMA trusted_schema = OFF")
        schema = db.execute("SELECT type, name, sql FROM sqlite_master ORDER BY type DESC")
        return tuple(schema.fetchall()) == self._EXPECTED


class PackageLedger:
    """The packages this machine wrote, with the digest of their inputs and their own hash, so
    an unchanged package is not written again (a rebuild with nothing changed is nearly free)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "packages.json"
        try:
            sealed = unseal(read_regular(self.path))
            self.entries: dict[str, list[str]] = json.loads(sealed) if sealed else {}
        except (OSError, ValueError):
            self.entries = {}

    def holds(self, package: Path, digest: str) -> bool:
        """Whether `package` on disk is the one written from inputs with this digest."""
        entry = self.entries.get(str(package.resolve()))
        if entry is None or entry[0] != digest:
            return False
        try:
            return digest_regular(package) == entry[1]
        except OSError:
            return False

    def record(self, package: Path, digest: str) -> None:
        self.entries[str(package.resolve())] = [
            digest,
            digest_regular(package),
        ]
        sealed = seal(json.dumps(self.entries, sort_keys=True).encode())
        if sealed is not None:
            with contextlib.suppress(OSError):  # without it, the next build only writes again
                write_atomically(self.path, sealed)


_MEDIUM_NAME = re.compile(r"ankigen-[0-9a-f]{24}\.[a-z0-9]{1,8}")


def _regular(path: Path) -> bool:
    """Whether `path` itself (not where a link leads) is a regular file."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _signature(path: Path) -> list[str | int] | None:
    """Where a consulted path leads now, and which file is there: its size, times and inode.

    The change time is in it because a copy can keep a file's size and modification time but
    never its change time, which every write sets.
    """
    try:
        real = path.resolve()
        stat = real.stat()
    except (OSError, RuntimeError, ValueError):
        return None
    return [str(real), stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]


_CARD_FIELDS = (
    "heading",
    "heading_col",
    "body_line",
    "deck",
    "tags",
    "namespace",
    "identity",
    "code_language",
    "cloze_highest",
)


_KNOWN_CARD_FIELDS = frozenset(f.name for f in fields(Card))


def card_row(card: Card) -> dict[str, Any]:
    """A parsed card as plain JSON data, without its markdown tokens."""
    return {
        "location": [card.location.path, card.location.line, card.location.col],
        "card": {name: getattr(card, name) for name in _CARD_FIELDS},
    }


def card_from_row(row: dict[str, Any], source: SourceFile) -> Card:
    values = dict(row["card"])
    values["tags"] = tuple(values["tags"])
    return Card(
        source=source,
        location=Location(*row["location"]),
        body=(),
        heading_inline=None,
        body_text="",
        **{k: v for k, v in values.items() if k in _KNOWN_CARD_FIELDS},
    )


def note_row(note: Note) -> dict[str, Any]:
    """A rendered note as plain JSON data (its card without tokens), for the cache and workers,
    with the ordinals of its cards (one per cloze number), which packaging needs."""
    return {
        "kind": note.kind,
        "fields": list(note.fields),
        "guid": note.guid,
        "media": [m.name for m in note.media],
        "ords": list(note.ordinals),
        **card_row(note.card),
    }


def note_from_row(row: dict[str, Any], source: SourceFile, media: dict[str, MediaFile]) -> Note:
    """The note of a row; `media` must hold every medium the row names."""
    return Note(
        card=card_from_row(row, source),
        kind=row["kind"],
        fields=tuple(row["fields"]),
        guid=row["guid"],
        media=tuple(media[name] for name in row["media"]),
    )


def _diagnostic_row(d: Diagnostic) -> list[Any]:
    return [d.location.path, d.location.line, d.location.col, d.severity, d.message]


def _diagnostic(row: list[Any]) -> Diagnostic:
    path, line, col, severity, message = row
    return Diagnostic(Location(path, line, col), severity, message)
