"""What a run takes from outside its arguments, read once: the working folder, the environment
(SOURCE_DATE_EPOCH, ANKIGEN_JOBS, the user's cache folder) and the clock.

cli.py builds one `Context` per command from the process (`Context.from_environment`) and
passes it down; nothing below it reads these for itself. The library's entry points take one
too, and build it from the process when none is given.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Context:
    """The inputs of a run that are not its arguments."""

    cwd: Path  # the working folder: the project is found from it, paths are shown relative to it
    epoch: int | None  # SOURCE_DATE_EPOCH: the latest time a build may give anything
    jobs: int  # processes to parse, render and draw with: ANKIGEN_JOBS, else one per core
    key_file: Path  # this machine's key for sealing cache records, outside any project
    clock: Callable[[], float] = time.time  # seconds since the epoch, now

    @classmethod
    def from_environment(
        cls, environ: Mapping[str, str] | None = None, cwd: Path | None = None
    ) -> Context:
        """The context of this process: its working folder and environment variables."""
        environ = os.environ if environ is None else environ
        return cls(
            cwd=Path.cwd() if cwd is None else cwd,
            epoch=_epoch(environ.get("SOURCE_DATE_EPOCH")),
            jobs=_jobs(environ.get("ANKIGEN_JOBS", "")),
            key_file=_key_file(environ.get("XDG_CACHE_HOME")),
        )


def _epoch(value: str | None) -> int | None:
    """SOURCE_DATE_EPOCH, when set to a number."""
    return int(value) if value is not None and value.strip().isdigit() else None


def _jobs(value: str) -> int:
    """ANKIGEN_JOBS if set to a number (at least 1), else one per core."""
    return max(1, int(value)) if value.isdigit() else os.cpu_count() or 1


def _key_file(cache_home: str | None) -> Path:
    """Where the sealing key is kept: the user's cache folder (XDG_CACHE_HOME, else ~/.cache)."""
    return Path(cache_home or str(Path.home() / ".cache"), "ankigen", "cache-key")
