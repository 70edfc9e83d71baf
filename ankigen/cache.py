"""The notes cache: each note file's rendered notes and problems, so an unchanged file is not
parsed or rendered again.

An entry is found by a key that covers everything the result depends on: ankigen's own code,
the versions of the libraries that shape the HTML (fingerprint.py), the settings, the file's
path and text. The files a note file consulted (its pictures, found or not) are recorded as
written, and where they lead, with size and time, and checked on load. Entries are JSON sealed
with this machine's key (storage.py), kept in an SQLite file (entrystore.py); media are stored
under their content hash, which is checked, so a cache folder from elsewhere can never run code
or slip bytes into a deck. Notes are stored as `RenderedNote`s without their source file, which
is the entry's own.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Config
from .entrystore import EntryStore
from .errors import Diagnostic, Location
from .fingerprint import code_fingerprint
from .model import MediaFile, Outline, RenderedNote, SourceFile
from .storage import Storage, read_regular

if TYPE_CHECKING:
    from .splice import Before


@dataclass(frozen=True)
class CacheEntry:
    """A file's rendered notes, its problems and its media by name."""

    notes: tuple[RenderedNote, ...]
    parse_problems: list[Diagnostic]
    render_problems: list[Diagnostic]
    media: dict[str, MediaFile]
    outline: Outline | None = None  # where its headings are: splice.py parses one card alone


class NoteCache:
    """Rendered notes of note files, sealed, in `folder`/notes.sqlite; media in `folder`/media.
    Records are sealed and written as the run's `storage` says.

    Call `close` when done: new entries are written then, in one transaction.
    """

    def __init__(self, folder: Path, config: Config, storage: Storage) -> None:
        self.folder = folder
        self.media_dir = folder / "media"
        self.storage = storage
        self.entries = EntryStore(folder / "notes.sqlite", storage.project)
        settings = json.dumps({k: str(v) for k, v in asdict(config).items()}, sort_keys=True)
        self.prefix = f"{code_fingerprint()}\x1f{settings}"
        self._before: dict[Path, _Decoded] = {}

    def key(self, source: SourceFile) -> str:
        """What a file's notes depend on, but for the files it consults (checked on load)."""
        known = _KEYS.get(id(source))
        if known is not None and known[0] is source and known[1] == self.prefix:
            return known[2]
        text = f"{self.prefix}\x1f{source.display}\x1f{source.root}\x1f{source.path}\x1f"
        key = hashlib.sha256(text.encode() + source.text.encode()).hexdigest()
        _KEYS[id(source)] = (source, self.prefix, key)
        return key

    def look_up(self, files: Sequence[SourceFile]) -> dict[Path, CacheEntry]:
        """The entries of those `files` that are stored, with their consulted files and media
        as stored, by the file's path."""
        by_key = {self.key(source): source for source in files}
        found = {}
        for key, source in by_key.items():
            entry = _kept_before(key, source, self)
            if entry is not None:
                found[source.path] = entry
        asked = [key for key, source in by_key.items() if source.path not in found]
        for key, sealed in (self.entries.get(asked) if asked else {}).items():
            entry = _decoded_before(key, sealed, by_key[key], self)
            if entry is None:
                entry = self._entry(key, sealed, by_key[key])
            if entry is not None:
                found[by_key[key].path] = entry
        for stale in _DECODED.keys() - by_key.keys():  # only the files of the latest look-up
            before = _DECODED.pop(stale)
            if self.key(before.source) == stale:  # made with these settings: a file that changed
                self._before[before.source.path] = before
        for gone in _KEYS.keys() - {id(source) for source in files}:
            del _KEYS[gone]
        return found

    def _entry(self, key: str, sealed: bytes, source: SourceFile) -> CacheEntry | None:
        try:
            blob = self.storage.unseal(sealed)
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
            found = {name: m for name, m in media.items() if m is not None}
            notes = tuple(note_from_json(row, source, found) for row in entry["notes"])
            parsing = [_diagnostic(row) for row in entry["parse_problems"]]
            rendering = [_diagnostic(row) for row in entry["render_problems"]]
            decoded = CacheEntry(notes, parsing, rendering, found, _outline(entry["outline"]))
            consulted = tuple((p, s) for p, s in entry["consulted"])
            media_seen = tuple((name, _lstat(self.media_dir / name)) for name in found)
            unsealed_with = self.storage.key
            sealed_digest = _digest(sealed)
            _DECODED[key] = _Decoded(
                sealed_digest, unsealed_with, source, decoded, consulted, media_seen
            )
            return decoded
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def store(
        self,
        source: SourceFile,
        notes: Sequence[RenderedNote],
        problems: tuple[list[Diagnostic], list[Diagnostic]],
        consulted: set[Path],
        outline: Outline | None = None,
        on_disk: bool = True,
    ) -> None:
        """Remember a freshly rendered file with its problems from parsing and rendering, and
        where its headings are; a cache that cannot be written is only slower. This process
        keeps it decoded too, as if it had read it; only that without `on_disk`."""
        parsing, rendering = problems
        media = {m.name: m for note in notes for m in note.media}
        consulted_rows: list[tuple[str, object]] = [
            (str(p), _signature(p)) for p in sorted(consulted)
        ]
        decoded = CacheEntry(tuple(notes), list(parsing), list(rendering), media, outline)
        if not on_disk:
            self._keep(source, decoded, b"", consulted_rows)
            return
        entry = {
            "key": self.key(source),
            "notes": [note_to_json(note) for note in notes],
            "parse_problems": [_diagnostic_row(d) for d in parsing],
            "render_problems": [_diagnostic_row(d) for d in rendering],
            "media": sorted(media),
            "consulted": consulted_rows,
            "outline": [outline[0], [list(h) for h in outline[1]]] if outline else None,
        }
        sealed = self.storage.seal(json.dumps(entry).encode())
        if sealed is None:
            return
        try:
            for medium in media.values():
                path = self.media_dir / medium.name
                if not _regular(path):  # a planted link or device is replaced
                    self.storage.write(path, medium.data)
        except OSError:
            return
        self.entries.put(self.key(source), sealed)
        self._keep(source, decoded, _digest(sealed), consulted_rows)

    def _keep(
        self,
        source: SourceFile,
        entry: CacheEntry,
        sealed: bytes,
        consulted: list[tuple[str, object]],
    ) -> None:
        """Keep `entry` decoded in this process, as if read from the record `sealed` hashes to
        (b"": none on disk)."""
        media_seen = tuple((name, _lstat(self.media_dir / name)) for name in entry.media)
        _DECODED[self.key(source)] = _Decoded(
            sealed, self.storage.key, source, entry, tuple(consulted), media_seen
        )

    def before(self, path: Path) -> Before | None:
        """The file at `path` as this process last read or made it, before it changed, while
        the files it consulted and its media are as they were."""
        from .splice import Before

        before = self._before.get(path)
        if before is None or _still_good(before, self) is None:
            return None
        entry, consulted = before.entry, frozenset(Path(p) for p, _ in before.consulted)
        problems = (entry.parse_problems, entry.render_problems)
        return Before(before.source, entry.notes, *problems, entry.outline, consulted)

    def close(self) -> None:
        self.entries.close()

    def __enter__(self) -> NoteCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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


@dataclass(frozen=True)
class _Decoded:
    """An entry this process decoded, with what it was decoded from and checked against."""

    sealed: bytes  # the sha256 of the sealed record: the record itself is not kept
    unsealed_with: bytes | None  # the storage's key
    source: SourceFile
    entry: CacheEntry
    consulted: tuple[tuple[str, object], ...]  # path, signature, as stored
    media: tuple[tuple[str, tuple[int, ...] | None], ...]  # name, status of its checked file


# `--serve` looks up every file again on each save: an entry decoded before, from the same
# sealed bytes for the same file, is reused while its consulted files and its media are as
# they were checked (unsealing and decoding them all again is most of a rebuild).
_DECODED: dict[str, _Decoded] = {}


# The key of each file of the latest look-up, by the `SourceFile` itself (kept, so that its id
# is not another's): sources.py gives an unchanged file's very object again.
_KEYS: dict[int, tuple[SourceFile, str, str]] = {}  # id -> the file, the cache's prefix, key


def _decoded_before(
    key: str, sealed: bytes, source: SourceFile, cache: NoteCache
) -> CacheEntry | None:
    before = _DECODED.get(key)
    if before is None or (before.sealed, before.source) != (_digest(sealed), source):
        return None
    return _still_good(before, cache)


def _kept_before(key: str, source: SourceFile, cache: NoteCache) -> CacheEntry | None:
    """The entry decoded before for this very file (the same object sources.py gave then), or
    kept in memory only (a card parsed alone) for the same file: the store need not be asked,
    since an entry's key covers all it was made from and this process unsealed or made it."""
    before = _DECODED.get(key)
    if before is None:
        return None
    if before.source is not source and not (before.sealed == b"" and before.source == source):
        return None
    return _still_good(before, cache)


def _still_good(before: _Decoded, cache: NoteCache) -> CacheEntry | None:
    """The entry, while it was unsealed with the run's key, and its consulted files and media
    are as they were checked."""
    if before.unsealed_with != cache.storage.key:
        return None
    if any(_signature(Path(p)) != s for p, s in before.consulted):
        return None
    if any(_lstat(cache.media_dir / name) != seen for name, seen in before.media):
        return None
    return before.entry


def _digest(sealed: bytes) -> bytes:
    return hashlib.sha256(sealed).digest()


def _lstat(path: Path) -> tuple[int, ...] | None:
    """Which regular file is at `path` (not following a link): device, inode, size, times."""
    try:
        found = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(found.st_mode):
        return None
    return (found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns)


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


def note_to_json(note: RenderedNote) -> list[Any]:
    """A rendered note as plain JSON, but for its source file (the entry's) and its media's
    bytes (stored by name)."""
    where = note.location
    return [
        note.guid,
        note.kind,
        list(note.fields),
        note.deck,
        list(note.tags),
        note.namespace,
        note.identity,
        [where.path, where.line, where.col],
        list(note.ordinals),
        [m.name for m in note.media],
    ]


def note_from_json(row: list[Any], source: SourceFile, media: dict[str, MediaFile]) -> RenderedNote:
    """The note stored as `row` by `note_to_json`; `media` holds every medium it names."""
    guid, kind, fields, deck, tags, namespace, identity, where, ordinals, names = row
    return RenderedNote(
        guid,
        kind,
        tuple(fields),
        deck,
        tuple(tags),
        namespace,
        identity,
        Location(*where),
        source,
        tuple(ordinals),
        tuple(media[name] for name in names),
    )


def _diagnostic_row(d: Diagnostic) -> list[Any]:
    return [d.location.path, d.location.line, d.location.col, d.severity, d.message]


def _outline(row: Any) -> Outline | None:
    """The outline stored as `[front matter end, [[line, level], ...]]`; None for none."""
    if row is None:
        return None
    end, headings = row
    pairs = tuple((int(line), int(level)) for line, level in headings)
    return Outline(int(end), pairs)


def _diagnostic(row: list[Any]) -> Diagnostic:
    path, line, col, severity, message = row
    return Diagnostic(Location(path, line, col), severity, message)
