"""The ledger of written packages, so an unchanged package is not written again."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from .storage import Storage, digest_regular, read_regular


class PackageLedger:
    """The packages this machine wrote, with the digest of their inputs and their own hash, so
    an unchanged package is not written again (a rebuild with nothing changed is nearly free).
    Sealed and written as the run's `storage` says."""

    def __init__(self, folder: Path, storage: Storage) -> None:
        self.path = folder / "packages.json"
        self.storage = storage
        try:
            sealed = storage.unseal(read_regular(self.path))
            self.entries: dict[str, list[str]] = json.loads(sealed) if sealed else {}
        except (OSError, ValueError):
            self.entries = {}

    def holds(self, package: Path, digest: str) -> bool:
        """Whether `package` on disk is the one written from inputs with this digest."""
        entry = self.entries.get(str(package.resolve()))
        if entry is None or entry[0] != digest:
            return False
        try:
            return digest_regular(package) == entry[1]
        except OSError:
            return False

    def record(self, package: Path, digest: str) -> None:
        self.entries[str(package.resolve())] = [
            digest,
            digest_regular(package),
        ]
        sealed = self.storage.seal(json.dumps(self.entries, sort_keys=True).encode())
        if sealed is not None:
            with contextlib.suppress(OSError):  # without it, the next build only writes again
                self.storage.write(self.path, sealed)
