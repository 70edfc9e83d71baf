"""The pipeline: find notes, parse, check identities, render, package. Nothing is written unless
every note is sound."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from slugify import slugify

from .cache import (
    CacheEntry,
    NoteCache,
    PackageLedger,
    card_from_row,
    code_fingerprint,
    note_from_row,
)
from .config import Config
from .errors import Diagnostics, Location
from .files import Progress, no_progress
from .ids import check_identities
from .model import Card, MediaFile, Note, SourceFile
from .sources import discover


@dataclass(frozen=True)
class PlannedPackage:
    """One .apkg to write: where, and which notes and media go in it."""

    path: Path
    notes: tuple[Note, ...]
    media: tuple[MediaFile, ...]
    timestamp: int  # the collection's time: the newest of its notes


@dataclass(frozen=True)
class BuildResult:
    packages: tuple[PlannedPackage, ...]
    written: bool


def read_cards(
    config: Config,
    sources: Sequence[Path],
    diagnostics: Diagnostics,
    progress: Progress = no_progress,
) -> list[Card]:
    """Every card of `sources`, parsed and checked within and across files; nothing drawn.

    Files whose notes are in the cache are not parsed again; their problems come from it.
    """
    from .files import check_files

    files, cache, hits, misses = _read_cache(config, sources, diagnostics)
    cards: dict[Path, list[Card]] = {}
    for path, (cached_notes, parsing, _) in hits.items():
        cards[path] = [note.card for note in cached_notes]
        diagnostics.items += parsing  # what parsing found, as a fresh check would
    for result in check_files(misses, config, cache.folder, progress):
        cards[result.source.path] = [card_from_row(row, result.source) for row in result.rows or []]
        diagnostics.items += result.parse_problems
    ordered = [card for source in files for card in cards[source.path]]
    _check_across_files(ordered, sources, diagnostics)
    return ordered


def read_notes(
    config: Config,
    sources: Sequence[Path],
    diagnostics: Diagnostics,
    progress: Progress = no_progress,
) -> list[Note]:
    """Every note of `sources`: from the cache when its file is unchanged, else parsed and
    rendered, on every core when there is enough to do."""
    from .files import process_files

    files, cache, hits, misses = _read_cache(config, sources, diagnostics)
    notes: dict[Path, list[Note]] = {}
    for path, (cached_notes, parsing, rendering) in hits.items():
        notes[path] = cached_notes
        diagnostics.items += parsing + rendering
    for result in process_files(misses, config, cache.folder, progress):
        source, rows = result.source, result.rows
        if rows is None:
            notes[source.path] = []
            diagnostics.error(Location(source.display), "its pictures could not be drawn")
            continue
        media = {m.name: m for m in result.media}
        notes[source.path] = [note_from_row(row, source, media) for row in rows]
        problems = (result.parse_problems, result.render_problems)
        cache.store(source, rows, result.media, problems, result.consulted)
        diagnostics.items += result.parse_problems + result.render_problems
    ordered = [note for source in files for note in notes[source.path]]
    guids = [note.guid for note in ordered]
    _check_across_files([note.card for note in ordered], sources, diagnostics, guids)
    return ordered


def _read_cache(
    config: Config, sources: Sequence[Path], diagnostics: Diagnostics
) -> tuple[list[SourceFile], NoteCache, dict[Path, CacheEntry], list[SourceFile]]:
    """The note files of `sources`, the cache, its entries for unchanged files, the others."""
    files = discover(sources, diagnostics, notes_root=config.source)
    cache = NoteCache(config.output / ".cache", config)
    hits, misses = {}, []
    for source in files:
        entry = cache.load(source)
        if entry is None:
            misses.append(source)
        else:
            hits[source.path] = entry
    return files, cache, hits, misses


def _check_across_files(
    cards: Sequence[Card],
    sources: Sequence[Path],
    diagnostics: Diagnostics,
    guids: list[str] | None = None,
) -> None:
    if not cards and not diagnostics.errors:
        for given in sources:
            diagnostics.error(Location(str(given)), "no cards found: a card is a `##` heading")
    check_identities(list(cards), diagnostics, guids)


def build(
    config: Config,
    sources: Sequence[Path],
    output: Path,
    diagnostics: Diagnostics,
    strict: bool = False,
    progress: Progress = no_progress,
) -> BuildResult:
    """Build `sources` into .apkg files under `output` (or into `output` if it ends in .apkg)."""
    notes = read_notes(config, sources, diagnostics, progress)
    packages = plan_packages(notes, output)
    if diagnostics.failed(strict):
        return BuildResult(packages, written=False)
    from .package import write_apkg

    written = PackageLedger(config.output / ".cache")
    for package in packages:
        digest = _package_digest(package)
        if not written.holds(package.path, digest):
            write_apkg(package.path, package.notes, package.media, package.timestamp)
            written.record(package.path, digest)
    return BuildResult(packages, written=True)


def _package_digest(package: PlannedPackage) -> str:
    """Everything a package's bytes depend on: its notes, media names (content hashes), time,
    and ankigen's code with the library versions (note types, CSS, the writer)."""
    digest = hashlib.sha256(f"{code_fingerprint()}\x1f{package.timestamp}".encode())
    for note in package.notes:
        card = note.card
        row = [note.guid, note.kind, note.fields, card.deck, card.tags, card.source.modified]
        digest.update(json.dumps(row).encode())
    digest.update(json.dumps(sorted(m.name for m in package.media)).encode())
    return digest.hexdigest()


def plan_packages(notes: Sequence[Note], output: Path) -> tuple[PlannedPackage, ...]:
    """One package per top-level deck, named after it; or all in one when output is a file."""
    groups: dict[Path, list[Note]] = {}
    paths: dict[str, Path] = {}
    for note in notes:
        top = note.card.deck.split("::")[0]
        if top not in paths:
            paths[top] = (
                output if output.suffix == ".apkg" else output / f"{slugify(top) or 'deck'}.apkg"
            )
        groups.setdefault(paths[top], []).append(note)
    planned = []
    for path, members in sorted(groups.items()):
        media = {m.name: m for note in members for m in note.media}
        timestamp = max(note.card.source.modified for note in members)
        planned.append(PlannedPackage(path, tuple(members), tuple(media.values()), timestamp))
    return tuple(planned)
