"""The pipeline: find the note files, look them up in the cache, parse and render the others
(on every core, each once), draw the pictures missing from the cache all together (on every
core) into their notes, check identities across files, plan the packages and write them.
Nothing is written unless every note is sound."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from .cache import CacheEntry, NoteCache
from .config import Config
from .context import Context
from .errors import NO_HEADINGS, Diagnostics, Location
from .ids import Identity, check_identities
from .ledger import PackageLedger
from .model import MediaFile, RenderedNote, SourceFile
from .notetimes import NoteTimes
from .plan import PlannedPackage, plan_packages
from .sources import discover
from .stages import (
    FileResult,
    Progress,
    identities,
    no_progress,
    parse_and_render,
)
from .storage import Storage, remove_leftovers


@dataclass(frozen=True)
class FileNotes:
    """One note file's identities and, when rendered, its notes and their media."""

    source: SourceFile
    key: str  # the notes cache's key: with `media`, everything the notes depend on
    identities: tuple[Identity, ...]
    notes: tuple[RenderedNote, ...]
    media: dict[str, MediaFile]


@dataclass(frozen=True)
class BuildResult:
    packages: tuple[PlannedPackage, ...]
    written: bool  # False: nothing was written, for the problems found
    unchanged: tuple[Path, ...] = ()  # packages already on disk as they would be written


def build(
    config: Config,
    sources: Sequence[Path],
    output: Path,
    diagnostics: Diagnostics,
    strict: bool = False,
    progress: Progress = no_progress,
    project: Path = Path(),
    context: Context | None = None,
) -> BuildResult:
    """Build `sources` into .apkg files under `output` (or into `output` if it ends in .apkg);
    `project` is the folder of the settings, whose git history gives the notes' times. The
    `context` is the process's unless given."""
    context = context or Context.from_environment()
    storage = Storage.of(context)
    files = discover(sources, diagnostics, notes_root=config.source, context=context)
    with NoteCache(config.output / ".cache", config, storage) as cache:
        cached, jobs = cache.look_up(files), context.jobs
        missing = _uncached(files, cached)
        fresh = parse_and_render(missing, config, cache.folder, storage, jobs, progress)
        read = file_notes(files, cached, fresh, cache, diagnostics)
    check_across_files(read, sources, diagnostics)
    times = card_times(config, read, project, context.epoch, storage)
    packages = plan_packages(read, output, times)
    if diagnostics.failed(strict):
        return BuildResult(packages, written=False)
    unchanged = write_packages(packages, config.output / ".cache", context.clock(), storage)
    return BuildResult(packages, written=True, unchanged=unchanged)


def check_cards(
    config: Config,
    sources: Sequence[Path],
    diagnostics: Diagnostics,
    progress: Progress = no_progress,
    context: Context | None = None,
) -> int:
    """`build`'s stages up to the checks across files, rendering and drawing nothing; returns
    how many notes there are (a note is a heading; its cards are counted by `build`).

    Files whose notes are in the cache are not parsed again; their problems come from it.
    """
    context = context or Context.from_environment()
    read = _read(config, sources, diagnostics, progress, context, render=False)
    return sum(len(file.identities) for file in read)


def read_notes(
    config: Config,
    sources: Sequence[Path],
    diagnostics: Diagnostics,
    progress: Progress = no_progress,
    context: Context | None = None,
) -> list[RenderedNote]:
    """Every note of `sources`, through `build`'s stages up to the checks across files, for the
    commands that look into them."""
    context = context or Context.from_environment()
    read = _read(config, sources, diagnostics, progress, context)
    return [note for file in read for note in file.notes]


def _read(
    config: Config,
    sources: Sequence[Path],
    diagnostics: Diagnostics,
    progress: Progress,
    context: Context,
    render: bool = True,
) -> list[FileNotes]:
    """`build`'s stages up to the checks across files; the files are only parsed unless
    `render`."""
    storage = Storage.of(context)
    files = discover(sources, diagnostics, notes_root=config.source, context=context)
    with NoteCache(config.output / ".cache", config, storage) as cache:
        cached = cache.look_up(files)
        missing, jobs = _uncached(files, cached), context.jobs
        spliced = _spliced(missing, cache, config, storage) if render else []
        done = {result.source.path for result in spliced}
        missing = [source for source in missing if source.path not in done]
        fresh = parse_and_render(missing, config, cache.folder, storage, jobs, progress, render)
        fresh += spliced
        read = file_notes(files, cached, fresh, cache, diagnostics, rendered=render)
    check_across_files(read, sources, diagnostics)
    return read


def _spliced(
    missing: Sequence[SourceFile], cache: NoteCache, config: Config, storage: Storage
) -> list[FileResult]:
    """The files that changed in one card since this process read them (`--serve`), that card
    parsed alone (splice.py)."""
    from .splice import splice

    spliced = []
    for source in missing:
        before = cache.before(source.path)
        result = splice(before, source, config, cache.folder, storage) if before else None
        if result is not None:
            spliced.append(result)
    return spliced


def _uncached(files: Sequence[SourceFile], cached: dict[Path, CacheEntry]) -> list[SourceFile]:
    return [source for source in files if source.path not in cached]


def file_notes(
    files: Sequence[SourceFile],
    cached: dict[Path, CacheEntry],
    fresh: Sequence[FileResult],
    cache: NoteCache,
    diagnostics: Diagnostics,
    rendered: bool = True,
) -> list[FileNotes]:
    """Every file's notes, in the files' order, with their problems reported: the cached ones,
    and the fresh ones, which are stored in `cache`.

    When the fresh files were not `rendered` (`check`), they are not stored, and only the
    problems found by parsing are reported."""
    read: dict[Path, FileNotes] = {}
    for source in files:
        if source.path in cached:
            entry = cached[source.path]
            before = _KEPT.get(id(entry))
            if before is not None and before[0] is entry and before[1].source is source:
                read[source.path] = before[1]
            else:
                notes, key = entry.notes, cache.key(source)
                read[source.path] = FileNotes(source, key, identities(notes), notes, entry.media)
                _KEPT[id(entry)] = entry, read[source.path]
            diagnostics.items += entry.parse_problems
            if rendered:
                diagnostics.items += entry.render_problems
    for result in fresh:
        source = result.source
        key = cache.key(source)
        media = {m.name: m for note in result.notes for m in note.media}
        read[source.path] = FileNotes(source, key, result.identities, result.notes, media)
        if rendered:
            problems = (result.parse_problems, result.render_problems)
            cache.store(
                source,
                result.notes,
                problems,
                result.consulted,
                result.outline,
                on_disk=not result.spliced,  # a later run parses the file whole, as a check
            )
        diagnostics.items += result.parse_problems + result.render_problems
    for gone in _KEPT.keys() - {id(entry) for entry in cached.values()}:
        del _KEPT[gone]
    return [read[source.path] for source in files]


# Each cached file's notes as the latest run made them, by its cache entry (kept, so that its id
# is not another's): `--serve` reads every file again on each save, and cache.py gives an
# unchanged file's very entry again.
_KEPT: dict[int, tuple[CacheEntry, FileNotes]] = {}


def check_across_files(
    files: Sequence[FileNotes], sources: Sequence[Path], diagnostics: Diagnostics
) -> None:
    """Identities and deck names checked across all files; an error when nothing has cards."""
    found = [identity for file in files for identity in file.identities]
    if not found and not diagnostics.errors:
        _no_cards(sources, diagnostics)
    check_identities(found, diagnostics)


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


def write_packages(
    packages: Sequence[PlannedPackage], cache: Path, now: float, storage: Storage
) -> tuple[Path, ...]:
    """Write the packages not already on disk as planned, as `storage` says; returns those that
    were. Temporary files killed writers left are removed first, those of an hour before `now`
    at least."""
    from .package import write_apkg

    written = PackageLedger(cache, storage)
    for folder in {cache, cache / "media", cache / "pictures", *(p.path.parent for p in packages)}:
        remove_leftovers(folder, now)  # of a build killed while writing
    unchanged = []
    for package in packages:
        if written.holds(package.path, package.digest):
            unchanged.append(package.path)
            continue
        try:
            write_apkg(
                package.path, package.notes, package.media, package.timestamp, storage.project
            )
        except OSError as exc:
            if exc.filename is not None:
                raise
            # the package is where it failed: say so, for a message that names it
            raise OSError(exc.errno, exc.strerror or str(exc), str(package.path)) from exc
        written.record(package.path, package.digest)
    return tuple(unchanged)


def card_times(
    config: Config, files: Sequence[FileNotes], project: Path, epoch: int | None, storage: Storage
) -> NoteTimes:
    """The time each note carries: by card from the history of the project in `project` (whose
    settings `config` holds), by file for the rest; none later than SOURCE_DATE_EPOCH, `epoch`.
    The walk through history is kept in the cache as `storage` says."""
    from .notetimes import note_times
    from .sources import note_times as file_times

    by_folder: dict[Path, list[SourceFile]] = {}  # the notes folders given, usually one
    for file in files:
        by_folder.setdefault(file.source.root, []).append(file.source)
    times = NoteTimes({}, {})
    cache = config.output / ".cache"
    for folder, sources in by_folder.items():
        found = note_times(sources, project, folder, config.release_tags, epoch, storage, cache)
        times.cards.update(found.cards)
        times.files.update(found.files)
    rest = {f.source.path: f.source.modified for f in files if f.source.path not in times.files}
    if rest:  # not in the notes' git HEAD: each file's own last commit, where it has one
        times.files.update(file_times(rest, epoch))
    return times
