"""The per-file stages: each note file parsed once, then rendered (unless it is only checked),
on every core when there is enough to do; and the pictures its cards need, drawn all at once.

`build` and `check` go through the same functions: `check` asks for no rendering, which lets
parse skip the inline tokens no check reads. Each file is processed on its own into plain data
(identities, `RenderedNote`s, problems), so a worker process sends back no markdown tokens.

A card's pictures (plots, formulas with `math = "svg"`) are marked in its rendered HTML. When a
file's pictures are all in the picture cache, the worker writes them in and sends back notes;
otherwise it sends back the drafts and the jobs still to draw. The jobs of every file are drawn
together, on every core, and written into the drafts that wait for them: nothing is parsed or
rendered again.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from .config import Config
from .drawing import Job, Result, draw_all
from .errors import Diagnostic, Diagnostics
from .ids import Identity
from .model import Card, Outline, RenderedNote, SourceFile
from .storage import Storage

if TYPE_CHECKING:  # render loads markdown-it, which a warm build never needs
    from .render import DraftNote

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
    outline: Outline | None = None  # None: not parsed here (splice.py has it from the cache)
    spliced: bool = False  # one card parsed alone (splice.py): kept in memory, not on disk


@dataclass(frozen=True)
class WaitingFile:
    """A file rendered but for pictures not drawn yet: its result without notes, its drafts,
    the pictures found drawn and the jobs that draw the others."""

    result: FileResult
    drafts: tuple[DraftNote, ...]
    drawn: dict[str, Result]
    missing: tuple[Job, ...]


def identities(cards: Iterable[Card | RenderedNote]) -> tuple[Identity, ...]:
    """What the cross-file checks need of each card or note."""
    return tuple(Identity(c.guid, c.identity, c.namespace, c.location, c.deck) for c in cards)


def process_file(
    source: SourceFile, config: Config, cache_dir: Path, storage: Storage, render: bool
) -> FileResult | WaitingFile:
    """Parse one file; with `render`, render its cards too, into notes when their pictures are
    all drawn (in the picture cache of `cache_dir`, sealed as `storage` says), else into drafts
    that wait for them."""
    from .drawing import look_up
    from .parse import parse_source

    parsed = parse_source(source, config, checks_only=not render)
    cards, consulted = parsed.cards, set(parsed.consulted)
    result = FileResult(
        source, identities(cards), (), parsed.problems, [], consulted, parsed.outline
    )
    if not render:
        return result
    from .render import draft_notes, picture_jobs

    drafts = draft_notes(cards, config)
    drawn, missing = look_up(picture_jobs(cards, config), cache_dir, storage)
    if missing:
        return WaitingFile(result, tuple(drafts), drawn, tuple(missing))
    return _finish(result, drafts, drawn, config)


_WARM_UP_NOTE = """# Warm-up

## A card {#warm-up tags="warm::up"}

Some *text* with `code`, a [link](https://example.org) and a list:

- one
- two

```python
print("warm")
```

## A {{c1::cloze}} card

| a | b |
|---|---|
| 1 | 2 |
"""


def warm_up(config: Config) -> None:
    """Parse and render a small note in memory, so that the code doing it is loaded.

    A served preview's first build comes from the cache and loads none of it; without this,
    the author's first save would wait for a third of a second of imports. Nothing is drawn,
    read or written.
    """
    from .parse import parse_source
    from .render import draft_notes, finish_notes

    root = Path(os.path.abspath(os.sep))  # any folder: nothing is read there
    source = SourceFile(root / "warm-up.md", root, "warm-up.md", _WARM_UP_NOTE, 0)
    cards = parse_source(source, config).cards
    finish_notes(draft_notes(cards, config), {}, config.allow_html, Diagnostics())


def _finish(
    result: FileResult, drafts: Sequence[DraftNote], drawn: dict[str, Result], config: Config
) -> FileResult:
    """The file's drafts made notes, their pictures `drawn`."""
    from .render import finish_notes

    rendering = Diagnostics()
    notes = finish_notes(drafts, drawn, config.allow_html, rendering)
    return replace(result, notes=tuple(notes), render_problems=rendering.items)


def parse_and_render(
    sources: Sequence[SourceFile],
    config: Config,
    cache_dir: Path,
    storage: Storage,
    workers: int,
    progress: Progress = no_progress,
    render: bool = True,
) -> list[FileResult]:
    """Every file parsed, and rendered with `render`; in up to `workers` processes when that
    pays off. The pictures the files still miss are then drawn together, in as many, and kept
    in the picture cache of `cache_dir` as `storage` says."""
    mapped = _map(list(sources), config, cache_dir, storage, render, workers, progress)
    return draw_missing_pictures(mapped, config, cache_dir, storage, workers)


def draw_missing_pictures(
    results: Sequence[FileResult | WaitingFile],
    config: Config,
    cache_dir: Path,
    storage: Storage,
    workers: int,
) -> list[FileResult]:
    """The pictures the waiting files miss, drawn together (in up to `workers` processes);
    their notes finished with them."""
    jobs = {
        job.key: job
        for result in results
        if isinstance(result, WaitingFile)
        for job in result.missing
    }
    drawn = draw_all(jobs.values(), cache_dir, storage, workers) if jobs else {}
    return [
        result
        if isinstance(result, FileResult)
        else _finish(result.result, result.drafts, {**result.drawn, **drawn}, config)
        for result in results
    ]


def _map(
    sources: list[SourceFile],
    config: Config,
    cache_dir: Path,
    storage: Storage,
    render: bool,
    workers: int,
    progress: Progress,
) -> list[FileResult | WaitingFile]:
    workers = min(workers, len(sources))
    if workers < 2 or sum(len(s.text) for s in sources) < PARALLEL_FROM_CHARS:
        alone = (process_file(s, config, cache_dir, storage, render) for s in sources)
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
            [storage] * len(order),  # the key travels with each task: a few dozen bytes
            [render] * len(order),
            chunksize=batch,
        )
        results = dict(zip(order, progress(done, len(sources)), strict=True))
    return [results[i] for i in range(len(sources))]
