"""The packages to write, planned from the notes: one per top-level deck (or one for an output
ending in .apkg), each note with its time, and a digest of everything the package's bytes
depend on, so that a package already on disk as planned is not written again."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from slugify import slugify

from .fingerprint import code_fingerprint
from .model import MediaFile, PackageNote
from .notetimes import NoteTimes

if TYPE_CHECKING:
    from .build import FileNotes


@dataclass(frozen=True)
class PlannedPackage:
    """One .apkg to write: where, and which notes and media go in it."""

    path: Path
    notes: tuple[PackageNote, ...]
    media: tuple[MediaFile, ...]
    timestamp: int  # the collection's time: the newest of its notes
    digest: str  # of everything the package's bytes depend on


def plan_packages(
    files: Sequence[FileNotes], output: Path, times: NoteTimes | None = None
) -> tuple[PlannedPackage, ...]:
    """One package per top-level deck, named after it; or all in one when output is a file.

    A note carries its card's time from `times`, else its file's."""
    groups: dict[Path, list[PackageNote]] = {}
    inputs: dict[Path, dict[str, FileNotes]] = {}  # the files with notes in each package
    paths: dict[str, Path] = {}
    cards, by_file = (times.cards, times.files) if times else ({}, {})
    for file in files:
        fallback = by_file.get(file.source.path, file.source.modified)
        in_file = cards.get(file.source.path, {})
        for note in file.notes:
            modified = in_file.get(note.location.line, fallback)
            top = note.deck.split("::")[0]
            if top not in paths:
                name = (
                    output
                    if output.suffix == ".apkg"
                    else output / f"{slugify(top) or 'deck'}.apkg"
                )
                paths[top] = name
            package_note = PackageNote(
                note.guid, note.kind, note.fields, note.deck, note.tags, modified, note.ordinals
            )
            groups.setdefault(paths[top], []).append(package_note)
            inputs.setdefault(paths[top], {})[file.key] = file
    planned = []
    for path, members in sorted(groups.items()):
        sources = inputs[path].values()
        media = {m.name: m for file in sources for m in file.media.values()}
        timestamp = max(note.modified for note in members)
        digest = _package_digest(sources, members, media)
        planned.append(
            PlannedPackage(path, tuple(members), tuple(media.values()), timestamp, digest)
        )
    return tuple(planned)


def _package_digest(
    sources: Iterable[FileNotes], notes: Sequence[PackageNote], media: dict[str, MediaFile]
) -> str:
    """Everything a package's bytes depend on: ankigen's code with the library versions (note
    types, CSS, the writer), each note's time, and for each of its files in order the cache key
    (text, path, settings) and media (named by content)."""
    digest = hashlib.sha256(code_fingerprint().encode())
    digest.update(" ".join(str(note.modified) for note in notes).encode())
    for file in sources:
        digest.update(f"\x1e{file.key}\x1f{sorted(file.media)}".encode())
    digest.update(f"\x1e{sorted(media)}".encode())
    return digest.hexdigest()
