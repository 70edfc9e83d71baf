"""Files written whole or not at all, and cache records sealed with this machine's key.

A cache lives in the output folder, which a pull request could fill with files of its own
making. Each record is sealed with an HMAC under a key kept outside the repository (in the
user's cache folder), so a record this machine did not write is never trusted.

What a run keeps is governed by a `Storage` made from its `Context` where a pipeline starts
(a build, a read of the notes, a revision, a preview) and passed down: the project its writes
must stay in, and the key read from the context's key file. It holds plain
values, so worker processes receive it with their tasks; nothing here reads the process's
working folder, environment or clock.
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from .context import Context

_TAG_BYTES = 64  # hex digits of an HMAC-SHA256
MAX_READ_BYTES = 256 * 1024 * 1024  # a cache record or medium larger than this is not ours
# never through a link at the end, never waiting on a pipe
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
_LEFTOVER_SECONDS = 3600  # a temporary file this old is a killed writer's, not a live one's


class UnsafePath(OSError):
    """A write that would leave the project through a link."""


@dataclass(frozen=True)
class Storage:
    """Where a run may write and how it seals the cache records it keeps: the project of its
    working folder, and this machine's key as the run's key file holds it."""

    project: Path  # a path in it by name must stay in it in fact (check_inside_project)
    key: bytes | None  # None when no key can be kept: nothing is sealed, nothing trusted

    @classmethod
    def of(cls, context: Context) -> Storage:
        """The storage of a run in `context`: its key read (or made) once, here."""
        project = project_of(context)
        return cls(project, _key_in(context.key_file, project))

    def seal(self, data: bytes) -> bytes | None:
        """`data` with a tag proving this machine wrote it; None when there is no key."""
        if self.key is None:
            return None
        return hmac.new(self.key, data, hashlib.sha256).hexdigest().encode() + data

    def unseal(self, blob: bytes) -> bytes | None:
        """The data of a record sealed with this key, or None for anything else."""
        if self.key is None or len(blob) < _TAG_BYTES:
            return None
        tag, data = blob[:_TAG_BYTES], blob[_TAG_BYTES:]
        expected = hmac.new(self.key, data, hashlib.sha256).hexdigest().encode()
        return data if hmac.compare_digest(tag, expected) else None

    def write(self, path: Path, write: bytes | Callable[[BinaryIO], None]) -> None:
        """`write_atomically` inside this storage's project."""
        write_atomically(path, write, self.project)


def project_of(context: Context) -> Path:
    """The project a command run in the context's working folder works on."""
    return _project(str(context.cwd))


def read_regular(
    path: Path, limit: int = MAX_READ_BYTES, expected: os.stat_result | None = None
) -> bytes:
    """The bytes of the regular file `path`, opened without following a link at its end.

    Raises OSError for a link, a device, a pipe, a folder, a file larger than `limit`, or one
    that is not the file `expected` (as stat saw it earlier): the folders ankigen reads may
    hold files a pull request planted, or swapped since they were listed.
    """
    handle = os.open(path, _READ_FLAGS)
    with os.fdopen(handle, "rb") as file:
        status = os.fstat(file.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        if expected is not None and (status.st_dev, status.st_ino) != (
            expected.st_dev,
            expected.st_ino,
        ):
            raise OSError(errno.ESTALE, "replaced since it was listed", str(path))
        if status.st_size > limit:
            raise OSError(errno.EFBIG, f"larger than {limit} bytes", str(path))
        data = file.read(limit + 1)
    if len(data) > limit:
        raise OSError(errno.EFBIG, f"larger than {limit} bytes", str(path))
    return data


def digest_regular(path: Path) -> str:
    """The SHA-256 of the regular file `path`, opened without following a link at its end;
    OSError for anything else. Read in pieces: a package may be larger than `read_regular`
    takes."""
    with os.fdopen(os.open(path, _READ_FLAGS), "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        return hashlib.file_digest(file, "sha256").hexdigest()


def check_inside_project(path: Path, project: Path) -> None:
    """Refuse to write `path` when it lies in the folder `project` (the run's, `project_of`) by
    name but outside it in fact, through a link on the way; a pull request can commit such
    links.

    Checked before every write, so the first run is as safe as the next.
    """
    absolute = Path(os.path.abspath(path))
    if not absolute.is_relative_to(project):
        return  # a place the user chose, outside what a pull request can shape
    try:
        real = absolute.parent.resolve()
    except (OSError, RuntimeError) as exc:
        raise UnsafePath(errno.ELOOP, f"cannot resolve its folder: {exc}", str(path)) from exc
    if not real.is_relative_to(project.resolve()):
        raise UnsafePath(errno.EXDEV, "leads outside the project through a link", str(path))


@lru_cache(maxsize=16)
def _project(folder: str) -> Path:
    """The project a command run in `folder` works on."""
    from .config import find_project

    return find_project(Path(folder))


def remove_leftovers(folder: Path, now: float) -> None:
    """Remove temporary files of `write_atomically` that a killed writer left in `folder`:
    those of a process that is gone, or older than an hour at `now` (the run's clock)."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        parts = entry.name.split(".")
        # .NAME.PID.RANDOM.tmp
        if (
            len(parts) < 5
            or parts[0]
            or parts[-1] != "tmp"
            or not parts[-3].isdigit()
            or not re.fullmatch(r"[0-9a-f]{12}", parts[-2])
        ):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            if _alive(int(parts[-3])) and now - entry.stat(follow_symlinks=False).st_mtime < (
                _LEFTOVER_SECONDS
            ):
                continue
            os.unlink(entry.path)
        except OSError:
            continue


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process
    return True


def write_atomically(path: Path, write: bytes | Callable[[BinaryIO], None], project: Path) -> None:
    """Write `path` through a temporary file and a rename: readers see old or new, never half.

    `write` is the bytes, or a function that writes them to the open file. The file's mode is
    0644 whatever the umask. A path that leads out of the folder `project` through a link is
    refused (UnsafePath); a link at `path` itself is replaced, never written through.
    """
    check_inside_project(path, project)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A name of our own rather than tempfile.mkstemp's: a build may write thousands of cache
    # entries, and mkstemp costs three times as much as the write itself.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(6).hex()}.tmp")
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(handle, "wb") as file:
            os.fchmod(file.fileno(), 0o644)
            if isinstance(write, bytes):
                file.write(write)
            else:
                write(file)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _key_in(path: Path, project: Path) -> bytes | None:
    """The sealing key kept in `path`, made on first use; None when it cannot be kept."""
    try:
        return read_regular(path, 1024)
    except OSError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, os.urandom(32), project)
        path.chmod(0o600)
        return read_regular(path, 1024)
    except OSError:
        return None
