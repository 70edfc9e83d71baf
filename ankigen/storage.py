"""Files written whole or not at all, and cache records sealed with this machine's key.

A cache lives in the output folder, which a pull request could fill with files of its own
making. Each record is sealed with an HMAC under a key kept outside the repository (in the
user's cache folder), so a record this machine did not write is never trusted.

Where the key is kept and which project the working folder belongs to come from the run's
`Context`: the one a command runs `within`, else the process's own.
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import os
import re
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


_context: Context | None = None  # the run's, while a command runs


@contextmanager
def within(context: Context) -> Iterator[None]:
    """Seal with the key of `context`, and keep writes in the project of its working folder,
    until the block ends (the pipeline's entry points run in one)."""
    global _context
    previous, _context = _context, context
    try:
        yield
    finally:
        _context = previous


def _key_file() -> Path:
    return _context.key_file if _context else Context.from_environment().key_file


def _working_folder() -> str:
    return str(_context.cwd) if _context else os.getcwd()


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


def check_inside_project(path: Path) -> None:
    """Refuse to write `path` when it lies in the project (the one the working folder belongs
    to) by name but outside it in fact, through a link on the way; a pull request can commit
    such links.

    Checked before every write, so the first run is as safe as the next.
    """
    project = _project(_working_folder())
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


def remove_leftovers(folder: Path, now: float | None = None) -> None:
    """Remove temporary files of `write_atomically` that a killed writer left in `folder`:
    those of a process that is gone, or older than an hour at `now` (by default, the run's
    clock)."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    if now is None:
        now = (_context or Context.from_environment()).clock()
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


def write_atomically(path: Path, write: bytes | Callable[[BinaryIO], None]) -> None:
    """Write `path` through a temporary file and a rename: readers see old or new, never half.

    `write` is the bytes, or a function that writes them to the open file. The file's mode is
    0644 whatever the umask. A path that leads out of the project through a link is refused
    (UnsafePath); a link at `path` itself is replaced, never written through.
    """
    check_inside_project(path)
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


def _key() -> bytes | None:
    """This machine's sealing key, from the run's key file."""
    return _key_in(_key_file())


@lru_cache(maxsize=4)
def _key_in(path: Path) -> bytes | None:
    """The sealing key kept in `path`, made on first use; None when it cannot be kept."""
    try:
        return read_regular(path, 1024)
    except OSError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, os.urandom(32))
        path.chmod(0o600)
        return read_regular(path, 1024)
    except OSError:
        return None


def seal(data: bytes) -> bytes | None:
    """`data` with a tag proving this machine wrote it; None when there is no key."""
    key = _key()
    if key is None:
        return None
    return hmac.new(key, data, hashlib.sha256).hexdigest().encode() + data


def unseal(blob: bytes) -> bytes | None:
    """The data of a record this machine sealed, or None for anything else."""
    key = _key()
    if key is None or len(blob) < _TAG_BYTES:
        return None
    tag, data = blob[:_TAG_BYTES], blob[_TAG_BYTES:]
    expected = hmac.new(key, data, hashlib.sha256).hexdigest().encode()
    return data if hmac.compare_digest(tag, expected) else None
