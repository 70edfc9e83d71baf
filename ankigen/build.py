"""The pipeline: find notes, parse, check identities, render, package. Nothing is written unless
every note is sound."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from slugify import slugify

from .cache import (
    CacheEntry,
    NoteCache,
    PackageLedger,
    code_fingerprint,
    note_from_row,
)
from .config import Config
from .errors import NO_HEADINGS, Diagnostics, Location
from .files import Progress, no_progress
from .ids import Identity, check_identities
from .model import MediaFile, Note, PackageNote, SourceFile
from .notetimes import NoteTimes
from .sources import discover
from .storage import remove_leftovers


@dataclass(frozen=True)
class FileNotes:
    """One note file's rendered notes as rows (the notes cache's form), with their media."""

    source: SourceFile
    key: str  # the notes cache's key: with `media`, everything the rows depend on
    rows: list[dict[str, Any]]
    media: dict[str, MediaFile]


@dataclass(frozen=True)
class PlannedPackage:
    """One .apkg to write: where, and which notes and media go in it."""

    path: Path
    notes: tuple[PackageNote, ...]
    media: tuple[MediaFile, ...]
    timestamp: int  # the collection's time: the newest of its notes
    digest: str  # of everything the package's bytes depend on


@dataclass(frozen=True)
class BuildResult:
    packages: tuple[PlannedPackage, ...]
    written: bool  # False: nothing was written, for the problems found
    unchanged: tuple[Path, ...] = ()  # packages already on disk as they would be written


def check_cards(
    config: Config,
    sources: Sequence[Path],
    diagnostics: Diagnostics,
    progress: Progress = no_progress,
) -> int:
    """Parse and check every card of `sources`, within and across files, drawing nothing;
    returns how many notes there are (a note is a heading; its cards are counted by `build`).

    Files whose notes are in the cache are not parsed again; their problems come from it.
    """
    from .files import check_files

    files, cache, _, hits, misses = _read_cache(config, sources, diagnostics)
    cache.close()  # check writes no entries
    rows: dict[Path, list[dict[str, Any]]] = {}
    for source in files:
        if source.path in hits:
            entry = hits[source.path]
            rows[source.path] = entry.rows
            diagnostics.items += entry.parse_problems  # what parsing found, as a fresh check would
    for result in check_files(misses, config, cache.folder, progress):
        rows[result.source.path] = result.rows or []
        diagnostics.items += result.parse_problems
    ordered = [row for source in files for row in rows[source.path]]
    _check_across_files(_identities(ordered), sources, diagnostics)
    return len(ordered)


def read_files(
    config: Config,
    sources: Sequence[Path],
    diagnostics: Diagnostics,
    progress: Progress = no_progress,
) -> list[FileNotes]:
    """Every note file of `sources` with its notes: from the cache when the file is unchanged,
    else parsed and rendered, on every core when there is enough to do."""
    from .files import process_files

    files, cache, keys, hits, misses = _read_cache(config, sources, diagnostics)
    read: dict[Path, FileNotes] = {}
    for source in files:
        if source.path in hits:
            entry = hits[source.path]
            read[source.path] = FileNotes(source, keys[source.path], entry.rows, entry.media)
            diagnostics.items += entry.parse_problems + entry.render_problems
    try:
        for result in process_files(misses, config, cache.folder, progress):
            source, rows, key = result.source, result.rows, keys[result.source.path]
            if rows is None:
                read[source.path] = FileNotes(source, key, [], {})
                diagnostics.error(Location(source.display), "its pictures could not be drawn")
                continue
            read[source.path] = FileNotes(source, key, rows, {m.name: m for m in result.media})
            problems = (result.parse_problems, result.render_problems)
            cache.store(key, rows, result.media, problems, result.consulted)
            diagnostics.items += result.parse_problems + result.render_problems
    finally:
        cache.close()
    ordered = [read[source.path] for source in files]
    identities = _identities(row for file in ordered for row in file.rows)
    _check_across_files(identities, sources, diagnostics)
    return ordered


def read_notes(
    config: Config,
    sources: Sequence[Path],
    diagnostics: Diagnostics,
    progress: Progress = no_progress,
) -> list[Note]:
    """Every note of `sources` as a `Note`, for the commands that look into them."""
    return [
        note_from_row(row, file.source, file.media)
        for file in read_files(config, sources, diagnostics, progress)
        for row in file.rows
    ]


def _read_cache(
    config: Config, sources: Sequence[Path], diagnostics: Diagnostics
) -> tuple[list[SourceFile], NoteCache, dict[Path, str], dict[Path, CacheEntry], list[SourceFile]]:
    """The note files of `sources`, the cache, each file's key, the entries of the unchanged
    files and the other files."""
    files = discover(sources, diagnostics, notes_root=config.source)
    cache = NoteCache(config.output / ".cache", config)
    keys = {source.path: cache.key(source) for source in files}
    entries = cache.load(list(keys.values()))
    hits = {path: entries[key] for path, key in keys.items() if key in entries}
    misses = [source for source in files if source.path not in hits]
    return files, cache, keys, hits, misses


def _identities(rows: Iterable[dict[str, Any]]) -> list[Identity]:
    return [
        Identity(
            row["guid"],
            row["card"]["identity"],
            row["card"]["namespace"],
            Location(*row["location"]),
            row["card"]["deck"],
        )
        for row in rows
    ]


def _check_across_files(
    identities: Sequence[Identity], sources: Sequence[Path], diagnostics: Diagnostics
) -> None:
    if not identities and not diagnostics.errors:
        _no_cards(sources, diagnostics)
    check_identities(identities, diagnostics)


def _no_cards(sources: Sequence[Path], diagnostics: Diagnostics) -> None:
    """One error per problem when nothing has cards: each note file's own warning that it has
    no `##` headings becomes the error; without note files, the folders given say so."""
    if any(d.message == NO_HEADINGS for d in diagnostics.items):
        diagnostics.items = [
            replace(d, severity="error") if d.message == NO_HEADINGS else d
            for d in diagnostics.items
        ]
        return
    for given in sources:
        if given.is_dir():
            message = "no note files here: write a .md file with a `## Question` heading per card"
        else:
            message = "no cards found: a card is a `##` heading"
        diagnostics.error(Location(given.as_posix()), message)


def build(
    config: Config,
    sources: Sequence[Path],
    output: Path,
    diagnostics: Diagnostics,
    strict: bool = False,
    progress: Progress = no_progress,
    project: Path = Path(),
) -> BuildResult:
    """Build `sources` into .apkg files under `output` (or into `output` if it ends in .apkg);
    `project` is the folder of the settings, whose git history gives the notes' times."""
    files = read_files(config, sources, diagnostics, progress)
    times = card_times(config, files, project)
    packages = plan_packages(files, output, times)
    if diagnostics.failed(strict):
        return BuildResult(packages, written=False)
    cache = config.output / ".cache"
    written = PackageLedger(cache)
    for folder in {cache, cache / "media", cache / "pictures", *(p.path.parent for p in packages)}:
        remove_leftovers(folder)  # of a build killed while writing
    unchanged = []
    for package in packages:
        if written.holds(package.path, package.digest):
            unchanged.append(package.path)
            continue
        from .package import write_apkg

        try:
            write_apkg(package.path, package.notes, package.media, package.timestamp)
        except OSError as exc:
            if exc.filename is not None:
                raise
            # the package is where it failed: say so, for a message that names it
            raise OSError(exc.errno, exc.strerror or str(exc), str(package.path)) from exc
        written.record(package.path, package.digest)
    return BuildResult(packages, written=True, unchanged=tuple(unchanged))


def card_times(config: Config, files: Sequence[FileNotes], project: Path = Path()) -> NoteTimes:
    """The time each note carries: by card from the history of the project in `project` (whose
    settings `config` holds), by file for the rest."""
    from .notetimes import note_times
    from .sources import note_times as file_times
    from .sources import source_date_epoch

    by_folder: dict[Path, list[SourceFile]] = {}  # the notes folders given, usually one
    for file in files:
        by_folder.setdefault(file.source.root, []).append(file.source)
    times = NoteTimes({}, {})
    epoch, cache = source_date_epoch(), config.output / ".cache"
    for folder, sources in by_folder.items():
        found = note_times(sources, project, folder, config.release_tags, epoch, cache)
        times.cards.update(found.cards)
        times.files.update(found.files)
    rest = {f.source.path: f.source.modified for f in files if f.source.path not in times.files}
    if rest:  # not in the notes' git HEAD: each file's own last commit, where it has one
        times.files.update(file_times(rest))
    return times


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
        for row in file.rows:
            card = row["card"]
            modified = in_file.get(row["location"][1], fallback)
            top = card["deck"].split("::")[0]
            if top not in paths:
                name = (
                    output
                    if output.suffix == ".apkg"
                    else output / f"{slugify(top) or 'deck'}.apkg"
                )
                paths[top] = name
            note = PackageNote(
                row["guid"],
                row["kind"],
                tuple(row["fields"]),
                card["deck"],
                tuple(card["tags"]),
                modified,
                tuple(row["ords"]),
            )
            groups.setdefault(paths[top], []).append(note)
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


def _package_digest(sources: Any, notes: Sequence[PackageNote], media: dict[str, MediaFile]) -> str:
    """Everything a package's bytes depend on: ankigen's code with the library versions (note
    types, CSS, the writer), each note's time, and for each of its files in order the cache key
    (text, path, settings) and media (named by content)."""
    digest = hashlib.sha256(code_fingerprint().encode())
    digest.update(" ".join(str(note.modified) for note in notes).encode())
    for file in sources:
        digest.update(f"\x1e{file.key}\x1f{sorted(file.media)}".encode())
    digest.update(f"\x1e{sorted(media)}".encode())
    return digest.hexdigest()
