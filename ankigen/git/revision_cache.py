"""The notes of git revisions as this machine built them, kept in the output folder's cache.

On a pull request CI runs `check --against`, `diff --against` and `preview --changed-since`
against the same base; each would build the base's notes afresh. The first keeps them here, in
one sealed record per revision under `.cache/revisions/`, named by a key that covers all they
depend on (`revision.revision_key`), and the next takes them back. Only the last few records are
kept. A record this machine did not seal (a pull request can commit `build/`) is never trusted.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..cache import note_from_json, note_to_json
from ..model import MediaFile, RenderedNote, SourceFile
from ..storage import Storage, read_regular

KEPT_REVISIONS = 4  # records kept: the base of a pull request, and a few others looked at
_RECORD_NAME = re.compile(r"[0-9a-f]{64}\.json")


def built_notes(output: Path, key: str, storage: Storage) -> list[RenderedNote] | None:
    """The notes kept under `key` in the cache of the output folder `output`, as they were
    built; None when there is no record of ours."""
    try:
        blob = storage.unseal(read_regular(_record(output, key)))
        if blob is None:
            return None
        record = json.loads(blob)
        if record["key"] != key:  # a sealed record moved under another revision's name
            return None
        sources = [_source(row) for row in record["sources"]]
        media = {name: MediaFile(name, base64.b64decode(data)) for name, data in record["media"]}
        return [note_from_json(row, sources[index], media) for index, row in record["notes"]]
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None


def keep_built_notes(
    output: Path, key: str, notes: Sequence[RenderedNote], storage: Storage
) -> None:
    """Keep `notes` under `key`, and remove all but the newest `KEPT_REVISIONS` records; a cache
    that cannot be written is only slower."""
    sources = list(dict.fromkeys(note.source for note in notes))
    index = {source: number for number, source in enumerate(sources)}
    media = {m.name: m.data for note in notes for m in note.media}
    record = {
        "key": key,
        "sources": [_source_json(source) for source in sources],
        "notes": [[index[note.source], note_to_json(note)] for note in notes],
        "media": [[name, base64.b64encode(data).decode()] for name, data in sorted(media.items())],
    }
    sealed = storage.seal(json.dumps(record).encode())
    if sealed is None:
        return
    try:
        storage.write(_record(output, key), sealed)
    except OSError:
        return
    _remove_old_records(_record(output, key).parent)


def _record(output: Path, key: str) -> Path:
    return output / ".cache" / "revisions" / f"{key}.json"


def _remove_old_records(folder: Path) -> None:
    """Remove the records of `folder` (just written into, so inside the project) but the newest
    `KEPT_REVISIONS`; what is not a record of ours by its name and kind is left alone."""
    records = []
    with contextlib.suppress(OSError):
        if not stat.S_ISDIR(os.lstat(folder).st_mode):
            return  # reached through a link: not a folder to remove things from
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            with contextlib.suppress(OSError):
                status = entry.stat(follow_symlinks=False)
                if _RECORD_NAME.fullmatch(entry.name) and stat.S_ISREG(status.st_mode):
                    records.append((status.st_mtime_ns, entry.name))
    for _, name in sorted(records, reverse=True)[KEPT_REVISIONS:]:
        with contextlib.suppress(OSError):
            os.unlink(folder / name)


def _source_json(source: SourceFile) -> list[Any]:
    return [str(source.path), str(source.root), source.display, source.text, source.modified]


def _source(row: list[Any]) -> SourceFile:
    path, root, display, text, modified = row
    return SourceFile(Path(path), Path(root), display, text, modified)
