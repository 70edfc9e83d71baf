"""Note files through parse and render in worker processes (above PARALLEL_FROM_CHARS characters):
the same results and problems, in the files' order, as in one process."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from ankigen import stages
from ankigen.config import Config
from ankigen.context import Context
from ankigen.model import SourceFile
from ankigen.stages import (
    PARALLEL_FROM_CHARS,
    FileResult,
    Progress,
    no_progress,
    parse_and_render,
)
from ankigen.storage import Storage

T = TypeVar("T")
JOBS = Context.from_environment().jobs
KEY = b"a sealing key for these tests alone"

PLOT = '```plot function\ntitle: "a line"\nexpr: 2*x\nrange: [0, 1]\n```\n'


def _file(root: Path, name: str, cards: int, extra: str = "") -> SourceFile:
    """A note file of `cards` cards of about 1 K characters each, `extra` in its first card."""
    filler = "A sentence of the answer, long enough to count. " * 20
    body = [f"## {name} card {i}\n\n{filler}\n\n{extra if i == 0 else ''}\n" for i in range(cards)]
    text = f"# {name}\n\n" + "\n".join(body)
    return SourceFile(root / f"{name}.md", root, f"{name}.md", text, 1_700_000_000)


@pytest.fixture
def sources(tmp_path: Path) -> list[SourceFile]:
    """Files of mixed sizes, large ones after small ones (workers take the largest first), some
    with problems and one with a picture to draw once all are parsed."""
    root = tmp_path / "notes"
    root.mkdir()
    made = [
        _file(root, "a-small", 3, "```klingon\nx\n```\n"),
        _file(root, "b-large", 260, "{{c1::never closed\n"),
        _file(root, "c-medium", 40, PLOT),
        _file(root, "d-tiny", 1),
        _file(root, "e-large", 280, "```klingon\ny\n```\n"),
    ]
    assert sum(len(source.text) for source in made) >= PARALLEL_FROM_CHARS
    return made


def _summary(results: list[FileResult]) -> list[tuple[str, Any, Any, list[str], list[str]]]:
    return [
        (
            result.source.display,
            result.identities,
            result.notes,
            [str(d) for d in result.parse_problems],
            [str(d) for d in result.render_problems],
        )
        for result in results
    ]


class _Pools:
    """Counts the process pools made: proof that the worker path ran."""

    made = 0

    def __init__(self, real: type) -> None:
        self.real = real

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        _Pools.made += 1
        return self.real(*args, **kwargs)


def build_files(
    sources: list[SourceFile],
    config: Config,
    cache: Path,
    progress: Progress = no_progress,
    workers: int = JOBS,
) -> list[FileResult]:
    """The files through `build`'s per-file stages: parsed, rendered, pictures drawn."""
    return parse_and_render(sources, config, cache, Storage(cache.parent, KEY), workers, progress)


def check_files(
    sources: list[SourceFile],
    config: Config,
    cache: Path,
    progress: Progress = no_progress,
    workers: int = JOBS,
) -> list[FileResult]:
    """The files through `check`'s per-file stage: parsed only."""
    storage = Storage(cache.parent, KEY)
    return parse_and_render(sources, config, cache, storage, workers, progress, render=False)


@pytest.mark.parametrize("work", [build_files, check_files], ids=["build", "check"])
def test_worker_processes_give_the_same_results_in_the_files_order(
    work: Any, sources: list[SourceFile], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = Config()
    seen: list[int] = []

    def progress(items: Iterable[T], length: int) -> Iterable[T]:
        for item in items:
            seen.append(length)
            yield item

    monkeypatch.setattr(
        concurrent.futures, "ProcessPoolExecutor", _Pools(concurrent.futures.ProcessPoolExecutor)
    )
    _Pools.made = 0
    parallel = work(sources, config, tmp_path / "cache-1", progress, workers=2)
    assert _Pools.made >= 1
    assert [result.source.display for result in parallel] == [s.display for s in sources]
    assert len(seen) >= len(sources)

    monkeypatch.setattr(stages, "PARALLEL_FROM_CHARS", 10**9)
    _Pools.made = 0
    alone = work(sources, config, tmp_path / "cache-2")
    assert _Pools.made == 0
    assert _summary(parallel) == _summary(alone)

    problems = [p for _, _, _, parse, render in _summary(parallel) for p in parse + render]
    assert problems == [
        "a-small.md:7:1: warning: unknown code language 'klingon': shown without highlighting",
        "b-large.md:7:1: error: cloze deletion is never closed with `}}`",
        "e-large.md:7:1: warning: unknown code language 'klingon': shown without highlighting",
    ]
    if work is build_files:
        medium = next(r for r in parallel if r.source.display == "c-medium.md")
        media = {m.name for note in medium.notes for m in note.media}
        assert len(media) == 1  # drawn after the parse, written into its draft
