"""Pictures drawn at build time (plots, formulas): drawn once, cached, on every core.

A job's key names everything its picture depends on (kind, parameters, renderer version,
format), so a cached picture is never stale and an unchanged deck draws nothing on its next
build. A job that cannot be drawn is cached as a failure too, with its reason. The cache is
sealed and written as the run's `Storage` says, which worker processes receive with their
tasks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .storage import Storage, read_regular

PARALLEL_FROM_JOBS = 3  # pictures; below this, starting workers costs more than it saves


@dataclass(frozen=True)
class Drawing:
    """A drawn picture's bytes and what its HTML needs (extension, alt text, size...)."""

    data: bytes
    meta: dict[str, Any]


@dataclass(frozen=True)
class Job:
    """One picture to draw: `function(argument)` returns a Drawing or raises ValueError."""

    key: str
    function: Callable[[Any], Drawing]  # module-level, so worker processes can run it
    argument: Any


Result = Drawing | str  # a drawing, or why it could not be drawn


def draw_all(
    jobs: Iterable[Job], cache_dir: Path, storage: Storage, workers: int
) -> dict[str, Result]:
    """The result of every job, keyed by job key: from the cache, or drawn now with up to
    `workers` processes (the context's jobs)."""
    results, missing = look_up(jobs, cache_dir, storage)
    for job, result in zip(missing, _draw(missing, workers), strict=True):
        _store(cache_dir, job.key, result, storage)
        results[job.key] = result
    return results


def look_up(
    jobs: Iterable[Job], cache_dir: Path, storage: Storage
) -> tuple[dict[str, Result], list[Job]]:
    """The results of the jobs in the cache, by job key, and the jobs not drawn yet."""
    wanted = {job.key: job for job in jobs}
    stored = {key: _load(cache_dir, key, storage) for key in wanted}
    results = {key: found for key, found in stored.items() if found is not None}
    return results, [wanted[key] for key in sorted(wanted) if key not in results]


def _run(job: Job) -> Result:
    try:
        return job.function(job.argument)
    except ValueError as exc:
        return str(exc) or type(exc).__name__


def _draw(jobs: list[Job], workers: int) -> list[Result]:
    if len(jobs) < PARALLEL_FROM_JOBS:
        return [_run(job) for job in jobs]
    workers = min(len(jobs), workers)
    if workers < 2:
        return [_run(job) for job in jobs]
    from .workers import pool  # only here: a warm build never needs it

    with pool(workers) as running:
        return list(running.map(_run, jobs, chunksize=max(1, len(jobs) // (workers * 4))))


def _paths(cache_dir: Path, key: str) -> tuple[Path, Path]:
    folder = cache_dir / "pictures"
    return folder / f"{key}.bin", folder / f"{key}.json"


def _load(cache_dir: Path, key: str, storage: Storage) -> Result | None:
    data_path, meta_path = _paths(cache_dir, key)
    try:
        sealed = storage.unseal(read_regular(meta_path))
        if sealed is None:
            return None
        meta = json.loads(sealed)
        if meta.pop("key") != key:  # a sealed picture moved under another job's key
            return None
        if "failed" in meta:
            return str(meta["failed"])
        data = read_regular(data_path)
        if hashlib.sha256(data).hexdigest() != meta.pop("sha256"):
            return None
        return Drawing(data, meta)
    except (OSError, ValueError, TypeError, KeyError):
        return None


def _store(cache_dir: Path, key: str, result: Result, storage: Storage) -> None:
    data_path, meta_path = _paths(cache_dir, key)
    if isinstance(result, Drawing):
        meta = {**result.meta, "sha256": hashlib.sha256(result.data).hexdigest()}
    else:
        meta = {"failed": result}
    meta["key"] = key
    sealed = storage.seal(json.dumps(meta, sort_keys=True).encode("utf-8"))
    if sealed is None:
        return
    try:
        if isinstance(result, Drawing):
            storage.write(data_path, result.data)
        storage.write(meta_path, sealed)
    except OSError:
        pass  # a cache that cannot be written only costs time on the next build


def plot_job(spec: Any, fmt: str) -> Job:
    """The job that draws a checked `plot` block."""
    return Job(spec.cache_key(fmt), draw_plot, (spec, fmt))


def draw_plot(argument: tuple[Any, str]) -> Drawing:
    from .diagrams import draw

    spec, fmt = argument
    picture = draw(spec, fmt)
    return Drawing(picture.data, {"ext": picture.ext, "alt": picture.alt, "title": picture.title})
