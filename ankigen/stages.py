"""The per-file stages: each note file parsed, then rendered (unless it is only checked), on
every core when there is enough to do; and the pictures its cards need, drawn all at once.

`build` and `check` go through the same functions: `check` asks for no rendering, which lets
parse skip the inline tokens no check reads. Each file is processed on its own into plain data
(identities, `RenderedNote`s, problems), so a worker process sends back no markdown tokens.

A file whose pictures are not all drawn yet comes back with the jobs instead of notes; the
jobs of every file are drawn together, on every core, and those files are then parsed and
rendered again, their pictures now found.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

from .config import Config
from .drawing import Job, draw_all
from .errors import Diagnostic, Diagnostics
from .ids import Identity
from .model import Card, RenderedNote, SourceFile

PARALLEL_FROM_CHARS = 512 * 1024  # characters of markdown; below this one process is quicker
T = TypeVar("T")


class Progress(Protocol):
    """Shows progress through `items`, of which there are `length`; yields the same items."""

    def __call__(self, items: Iterable[T], length: int) -> Iterable[T]: ...


def no_progress(items: Iterable[T], length: int) -> Iterable[T]:
    return items


@dataclass(frozen=True)
class FileResult:
    """One file parsed (and rendered when asked): its cards' identities, its notes, problems
    and the files it consulted."""

    source: SourceFile
    identities: tuple[Identity, ...]
    notes: tuple[RenderedNote, ...] = ()  # none when not rendered
    parse_problems: list[Diagnostic] = field(default_factory=list)
    render_problems: list[Diagnostic] = field(default_factory=list)
    consulted: set[Path] = field(default_factory=set)
    missing: tuple[Job, ...] = ()  # pictures to draw before it can be rendered


def identities(cards: Iterable[Card | RenderedNote]) -> tuple[Identity, ...]:
    """What the cross-file checks need of each card or note."""
    return tuple(Identity(c.guid, c.identity, c.namespace, c.location, c.deck) for c in cards)


def process_file(source: SourceFile, config: Config, cache_dir: Path, render: bool) -> FileResult:
    """Parse one file; with `render`, render its cards too, unless some of their pictures still
    need drawing."""
    from .drawing import look_up
    from .parse import parse_source

    parsed = parse_source(source, config, checks_only=not render)
    cards, consulted = parsed.cards, set(parsed.consulted)
    found = identities(cards)
    if not render:
        return FileResult(source, found, parse_problems=parsed.problems, consulted=consulted)
    from .render import picture_jobs, render_cards

    drawn, missing = look_up(picture_jobs(cards, config), cache_dir)
    if missing:
        return FileResult(source, found, consulted=consulted, missing=tuple(missing))
    rendering = Diagnostics()
    notes = tuple(render_cards(cards, config, cache_dir, rendering, drawn))
    return FileResult(source, found, notes, parsed.problems, rendering.items, consulted)


def parse_and_render(
    sources: Sequence[SourceFile],
    config: Config,
    cache_dir: Path,
    workers: int,
    progress: Progress = no_progress,
    render: bool = True,
) -> list[FileResult]:
    """Every file parsed, and rendered with `render`; in up to `workers` processes when that
    pays off."""
    return _map(list(sources), config, cache_dir, render, workers, progress)


def draw_missing_pictures(
    results: Sequence[FileResult],
    config: Config,
    cache_dir: Path,
    workers: int,
    progress: Progress = no_progress,
) -> list[FileResult]:
    """The pictures the files still miss, drawn together (in up to `workers` processes); those
    files rendered now."""
    jobs = {job.key: job for result in results for job in result.missing}
    if not jobs:
        return list(results)
    draw_all(jobs.values(), cache_dir, workers)
    again = [result.source for result in results if result.missing]
    redone = {r.source.path: r for r in _map(again, config, cache_dir, True, workers, progress)}
    return [redone.get(result.source.path, result) for result in results]


def _map(
    sources: list[SourceFile],
    config: Config,
    cache_dir: Path,
    render: bool,
    workers: int,
    progress: Progress,
) -> list[FileResult]:
    workers = min(workers, len(sources))
    if workers < 2 or sum(len(s.text) for s in sources) < PARALLEL_FROM_CHARS:
        alone = (process_file(s, config, cache_dir, render) for s in sources)
        return list(progress(alone, len(sources)))
    from .workers import pool

    # Larger files first, so no worker is left with one big file at the end; small files go in
    # batches, as a task of its own costs about as much as a small file's parse.
    order = sorted(range(len(sources)), key=lambda i: -len(sources[i].text))
    batch = max(1, min(64, len(sources) // (workers * 16)))
    with pool(workers) as running:
        done = running.map(
            process_file,
            [sources[i] for i in order],
            [config] * len(order),
            [cache_dir] * len(order),
            [render] * len(order),
            chunksize=batch,
        )
        results = dict(zip(order, progress(done, len(sources)), strict=True))
    return [results[i] for i in range(len(sources))]
