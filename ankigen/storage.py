"""Files written whole or not at all, and cache records sealed with this machine's key.

A cache lives in the output folder, which a pull request could fill with files of its own
making. Each record is sealed with an HMAC under a key kept outside the repository (in the
user's cache folder), so a record this machine did not write is never trusted.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import BinaryIO

_TAG_BYTES = 64  # hex digits of an HMAC-SHA256


def write_atomically(path: Path, write: bytes | Callable[[BinaryIO], None]) -> None:
    """Write `path` through a temporary file and a rename: readers see old or new, never half.

    `write` is the bytes, or a function that writes them to the open file. The file's mode is
    0644 whatever the umask.
    """
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


@cache
def _key() -> bytes | None:
    """This machine's sealing key, made on first use; None when it cannot be kept."""
    home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    path = Path(home, "ankigen", "cache-key")
    try:
        return path.read_bytes()
    except OSError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, os.urandom(32))
        path.chmod(0o600)
        return path.read_bytes()
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
