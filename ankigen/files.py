"""Note files through parse and render, on every core when there is enough to do.

Each file is processed on its own into plain rows (the notes cache's format), so a worker
process sends back only JSON-like data and bytes, never markdown tokens. Pictures are drawn
between two passes: a file whose pictures are not all drawn yet reports the jobs instead of
rendering; they are drawn together, on every core, and the file is then rendered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from .cache import card_row, note_row
from .config import Config
from .drawing import Job, draw_all, missing_jobs, worker_count
from .errors import Diagnostic, Diagnostics
from .model import MediaFile, SourceFile

PARALLEL_FROM = 512 * 1024  # characters of markdown; below this one process is quicker
T = TypeVar("T")
Progress = Callable[[Iterable[T], int], Iterable[T]]  # (items, how many) -> the same items


def no_progress(items: Iterable[T], length: int) -> Iterable[T]:
    return items


@dataclass(frozen=True)
class FileResult:
    """One file's rendered notes as rows, with its media, problems and consulted files."""

    source: SourceFile
    rows: list[dict[str, Any]] | None  # None: its pictures must be drawn first
    media: list[MediaFile] = field(default_factory=list)
    parse_problems: list[Diagnostic] = field(default_factory=list)
    render_problems: list[Diagnostic] = field(default_factory=list)
    consulted: set[Path] = field(default_factory=set)
    missing: list[Job] = field(default_factory=list)


def process_file(source: SourceFile, config: Config, cache_dir: Path) -> FileResult:
    """Parse and render one file, unless some of its pictures still need drawing."""
    from .parse import parse_file
    from .render import picture_jobs, render_cards

    parsing, rendering, consulted = Diagnostics(), Diagnostics(), set[Path]()
    cards = parse_file(source, config, parsing, consulted)
    missing = missing_jobs(picture_jobs(cards, config), cache_dir)
    if missing:
        return FileResult(source, None, consulted=consulted, missing=missing)
    notes = render_cards(cards, config, cache_dir, rendering)
    media = {m.name: m for note in notes for m in note.media}
    rows = [note_row(n) for n in notes]
    return FileResult(source, rows, list(media.values()), parsing.items, rendering.items, consulted)


def check_file(source: SourceFile, config: Config, cache_dir: Path) -> FileResult:
    """Parse one file for `check`: its cards as rows (without tokens, with their GUIDs) and its
    problems."""
    from .ids import note_guid
    from .parse import parse_file

    parsing, consulted = Diagnostics(), set[Path]()
    cards = parse_file(source, config, parsing, consulted, checks_only=True)
    rows = [{**card_row(card), "guid": note_guid(card.namespace, card.identity)} for card in cards]
    return FileResult(source, rows, parse_problems=parsing.items, consulted=consulted)


def check_files(
    sources: Sequence[SourceFile], config: Config, cache_dir: Path, progress: Progress = no_progress
) -> list[FileResult]:
    """Every file parsed for `check`; in worker processes when that pays off."""
    return _map(check_file, list(sources), config, cache_dir, progress)


def process_files(
    sources: Sequence[SourceFile], config: Config, cache_dir: Path, progress: Progress = no_progress
) -> list[FileResult]:
    """Every file processed, pictures drawn; in worker processes when that pays off."""
    results = _map(process_file, list(sources), config, cache_dir, progress)
    jobs = {job.key: job for result in results for job in result.missing}
    if jobs:
        draw_all(jobs.values(), cache_dir)
        again = [result.source for result in results if result.rows is None]
        redone = {r.source.path: r for r in _map(process_file, again, config, cache_dir, progress)}
        results = [redone.get(result.source.path, result) for result in results]
    return results


def _map(
    work: Callable[[SourceFile, Config, Path], FileResult],
    sources: list[SourceFile],
    config: Config,
    cache_dir: Path,
    progress: Progress,
) -> list[FileResult]:
    workers = min(worker_count(), len(sources))
    if workers < 2 or sum(len(s.text) for s in sources) < PARALLEL_FROM:
        return list(progress((work(s, config, cache_dir) for s in sources), len(sources)))
    from .workers import pool

    # Larger files first, so no worker is left with one big file at the end; small files go in
    # batches, as a task of its own costs about as much as a small file's parse.
    order = sorted(range(len(sources)), key=lambda i: -len(sources[i].text))
    batch = max(1, min(64, len(sources) // (workers * 16)))
    with pool(workers) as running:
        done = running.map(
            work,
            [sources[i] for i in order],
            [config] * len(order),
            [cache_dir] * len(order),
            chunksize=batch,
        )
        results = dict(zip(order, progress(done, len(sources)), strict=True))
    return [results[i] for i in range(len(sources))]
