"""The chunks an earlier preview wrote, remembered under a digest of everything they show, so
that a rerun renders and writes only the chunks whose cards changed.

A chunk's file is HTML the page puts on screen, and the cache and preview folders may hold files
a pull request committed. So the record is sealed with this machine's key (storage.py), like the
notes cache, and a remembered chunk is used only when its file is in the preview folder as a
regular file whose bytes still hash to the digest in its name.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

from ..fingerprint import code_fingerprint
from ..storage import Storage, read_regular
from .chunks import CHUNK_FOLDER, Chunk, DataFile, Row, intact

MEMO_FILE = "preview-chunks.json"  # in the cache folder
_MAX_BYTES = 1 << 30
_FOUND_INTACT: dict[str, tuple[int, ...]] = {}  # chunk files checked by this process
# The chunk keys of this process's latest run, by everything `key` digests: `--serve` keys
# every chunk again on each save, and most are as they were.
_KEYS: dict[tuple[object, ...], str] = {}
# The record this process last wrote or read (the sha256 of it sealed, and the key) and its
# chunks: `--serve` loads it again on each save.
_LAST_RECORD: dict[Path, tuple[bytes, bytes | None]] = {}
_LAST_CHUNKS: list[dict[str, list[object]]] = []


class ChunkMemo:
    """Chunks by the digest of their rows (`key`): the file's name and the cards' texts."""

    def __init__(self, cache_folder: Path, preview_folder: Path, storage: Storage) -> None:
        self.path = cache_folder / MEMO_FILE
        self.folder = preview_folder
        self.storage = storage
        self._seen: dict[str, list[object]] = {}
        self._keys: dict[tuple[object, ...], str] = {}
        self._stored = self._load()

    def _load(self) -> dict[str, list[object]]:
        try:
            sealed = read_regular(self.path, _MAX_BYTES)
            if _LAST_RECORD.get(self.path) == (_digest(sealed), self.storage.key):
                return _LAST_CHUNKS[0]  # as this process wrote or read it: not unsealed again
            data = self.storage.unseal(sealed)
            stored = json.loads(data) if data is not None else {}
        except (OSError, ValueError):
            return {}
        if not isinstance(stored, dict) or stored.get("code") != code_fingerprint():
            return {}
        chunks = stored.get("chunks")
        if not isinstance(chunks, dict):
            return {}
        _remember(self.path, sealed, self.storage.key, chunks)
        return chunks

    def key(self, rows: Sequence[Row], status: dict[str, str]) -> str:
        """What the chunk of `rows` shows: each card's note, number, deck and status."""
        shown = tuple(_shown(row, status) for row in rows)
        key = _KEYS.get(shown) or self._digest(rows, status)
        self._keys[shown] = key
        return key

    def _digest(self, rows: Sequence[Row], status: dict[str, str]) -> str:
        digest = hashlib.sha256(code_fingerprint().encode())
        heads: list[object] = []
        for row in rows:
            card, note = row.card, row.card.note
            heads.append((card.key, row.deck, row.deck_title, card.note_cards))
            where = note.location.path  # its line is the page's (page.py)
            heads.append((status.get(card.key), note.kind, note.deck, note.identity, where))
            heads.append((note.tags, [len(field) for field in note.fields]))
            for field in note.fields:  # after their lengths: no two notes hash the same
                digest.update(field.encode())
        digest.update(json.dumps(heads).encode())
        return digest.hexdigest()

    def get(self, key: str, first: int, rows: Sequence[Row]) -> Chunk | None:
        """The chunk an earlier run wrote for `key`, if its file is still intact."""
        found = self._stored.get(key)
        if not (isinstance(found, list) and len(found) == 2):
            return None
        name, texts = found
        if not (isinstance(name, str) and name.startswith(f"{CHUNK_FOLDER}/")):
            return None
        if not (isinstance(texts, list) and len(texts) == len(rows)):
            return None
        if not self._intact(os.path.join(self.folder, name), name):  # str: Paths cost here
            return None
        self._seen[key] = [name, texts]
        return Chunk(DataFile(name, None), first, rows, tuple(map(str, texts)))

    def _intact(self, path: str, name: str) -> bool:
        """Whether the file is a regular file holding what its name says. A file this process
        found intact before is not read again while its status (inode, size, times, including
        the change time no one can set) is the same: `--serve` rebuilds in a moment."""
        try:
            status = os.lstat(path)
            signature: tuple[int, ...] = (status.st_dev, status.st_ino, status.st_size)
            signature += (status.st_mtime_ns, status.st_ctime_ns)
            if _FOUND_INTACT.get(path) == signature:
                return True
            data = read_regular(Path(path), _MAX_BYTES, expected=status)
            if not intact("chunk", name, data):
                return False
        except (OSError, ValueError):
            return False
        _FOUND_INTACT[path] = signature
        return True

    def put(self, key: str, chunk: Chunk) -> None:
        self._seen[key] = [chunk.file.name, list(chunk.texts)]

    def save(self) -> None:
        """Keep the chunks of this run (only those); a memo that cannot be kept only makes the
        next run slower."""
        _KEYS.clear()
        _KEYS.update(self._keys)
        record = json.dumps({"code": code_fingerprint(), "chunks": self._seen})
        sealed = self.storage.seal(record.encode())
        if sealed is not None and self._seen != self._stored:
            with contextlib.suppress(OSError):
                self.storage.write(self.path, sealed)
                _remember(self.path, sealed, self.storage.key, self._seen)


def _shown(row: Row, status: dict[str, str]) -> tuple[object, ...]:
    """Everything of `row` its chunk's key digests; a plain tuple, hashed in C."""
    card, note = row.card, row.card.note
    keyed = (card.key, row.deck, row.deck_title, card.note_cards, status.get(card.key))
    return (
        *keyed,
        note.kind,
        note.deck,
        note.identity,
        note.location.path,
        note.tags,
        note.fields,
    )


def _remember(
    path: Path, sealed: bytes, key: bytes | None, chunks: dict[str, list[object]]
) -> None:
    _LAST_RECORD.clear()  # one record: a process writes one preview
    _LAST_RECORD[path] = (_digest(sealed), key)
    _LAST_CHUNKS[:] = [chunks]


def _digest(sealed: bytes) -> bytes:
    return hashlib.sha256(sealed).digest()
