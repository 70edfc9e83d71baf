"""Every git ankigen runs, in one place.

- `run_git` and `git_process` run one git command; `start_git` starts one to stream from. All
  get the same command prefix (`GIT`) and environment (`git_environment`).
- `repository_root` and `tracked_files` ask about the repository a folder is in.
- `BlobReader` reads blobs through one `git cat-file --batch` kept open.
- `tree.py` lists a commit's tree and follows its links; `revision.py` lays out the notes of a
  revision in a folder and builds them (`diff --against`, `preview --changed-since`).
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

# Paths printed as they are, and pathspecs taken literally: a note named `*.md` is that file.
GIT = ("git", "-c", "core.quotepath=off", "--literal-pathspecs")
_BLOB_ID = re.compile(r"[0-9a-f]{40,64}")


def git_environment() -> dict[str, str]:
    """The environment every git ankigen runs gets: no lock taken, messages untranslated."""
    return {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}


def run_git(folder: Path, *args: str, given: str | None = None) -> str | None:
    """git's output, run in `folder` with `given` as its input; None when git fails or is
    missing."""
    try:
        done = subprocess.run(
            [*GIT, *args],
            cwd=folder,
            input=given,
            capture_output=True,
            text=True,
            env=git_environment(),
            check=False,
        )
    except OSError:
        return None
    return done.stdout if done.returncode == 0 else None


def git_process(folder: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """git run in `folder`, its output and messages as bytes. Raises ValueError when git
    cannot be run at all."""
    try:
        return subprocess.run(
            [*GIT, *args], cwd=folder, capture_output=True, env=git_environment(), check=False
        )
    except OSError as exc:
        raise ValueError(f"cannot run git ({exc.strerror}): is git installed?") from exc


def start_git(folder: Path, *args: str, given: bool = False) -> subprocess.Popen[bytes]:
    """git started in `folder`, its output to read as it comes (and its input to write, when
    `given`); its messages are dropped. Raises ValueError when git cannot be run."""
    try:
        return subprocess.Popen(
            [*GIT, *args],
            cwd=folder,
            stdin=subprocess.PIPE if given else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=git_environment(),
        )
    except OSError as exc:
        raise ValueError(f"cannot run git ({exc.strerror}): is git installed?") from exc


def repository_root(folder: Path) -> Path:
    """The top folder of the git repository holding `folder` (which may be a subfolder).
    Raises ValueError for a folder that is not one, or not in a repository."""
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder")
    top = git_process(folder, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        text = top.stderr.decode(errors="replace").strip()
        reason = text.removeprefix("fatal: ") or f"git exited with status {top.returncode}"
        said = reason.startswith("not a git repository")  # git's own words, not said twice
        raise ValueError(f"{folder} is not in a git repository" + ("" if said else f": {reason}"))
    return Path(top.stdout.decode().strip())


def tracked_files(root: Path, folder: Path) -> list[str]:
    """The files under `folder` that git tracks in the repository holding `root`, if any."""
    try:
        done = git_process(root, "ls-files", "-z", "--", str(folder))
    except ValueError:
        return []
    if done.returncode != 0:
        return []
    return [name for name in done.stdout.decode(errors="replace").split("\0") if name]


class BlobReader:
    """Blobs of the repository at `top`, read through one `git cat-file --batch` process,
    started at the first read and kept until `close`."""

    def __init__(self, top: Path) -> None:
        self.top = top
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, blob: str) -> bytes:
        """One blob's bytes. Raises ValueError when git has no such blob."""
        data = self.read_many([blob])[0]
        if data is None:
            raise ValueError(f"git cat-file could not read {blob}")
        return data

    def read_many(self, blobs: Sequence[str]) -> list[bytes | None]:
        """Each blob's bytes, with one round trip to git; None for an id that is not a blob's
        (malformed ids are never sent)."""
        valid = [blob for blob in blobs if _BLOB_ID.fullmatch(blob)]
        if not valid:
            return [None] * len(blobs)
        if self._process is None:
            self._process = start_git(self.top, "cat-file", "--batch", given=True)
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None and stdout is not None
        stdin.write("".join(f"{blob}\n" for blob in valid).encode())
        stdin.flush()
        found = {}
        for blob in valid:
            header = stdout.readline().split()
            if len(header) == 3 and header[1] == b"blob":
                found[blob] = stdout.read(int(header[2]) + 1)[:-1]  # and the newline after it
        return [found.get(blob) for blob in blobs]

    def close(self) -> None:
        """End the git process, if one was started (it only reads: nothing is lost)."""
        if self._process is not None:
            with contextlib.suppress(OSError):
                assert self._process.stdin is not None
                self._process.stdin.close()
            self._process.kill()  # even with output unread, after a failed read
            self._process.wait()
            self._process = None
