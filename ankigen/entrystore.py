"""The notes cache's store: sealed records by key, in one SQLite file that may come from
anywhere and is never trusted."""

from __future__ import annotations

import os
import sqlite3
import stat
import urllib.parse
from collections.abc import Sequence
from pathlib import Path

from .storage import check_inside_project


class EntryStore:
    """Sealed records by key, in one SQLite file: a build of thousands of small note files
    would spend longer creating and opening a file per entry than parsing the notes.

    The file may come from anywhere (a pull request can commit `build/`, links included), so it
    is read through a read-only connection, and only when it is a plain file whose schema is
    exactly ours, with untrusted schema features off. Anything else is never written through:
    a build replaces it with a database of its own (`check` only does without). A database that
    is merely busy is left alone.
    """

    _SCHEMA = "CREATE TABLE entries (key TEXT PRIMARY KEY, sealed BLOB NOT NULL)"
    _EXPECTED = (("table", "entries", _SCHEMA), ("index", "sqlite_autoindex_entries_1", None))
    _BATCH = 500  # keys to a query, well under SQLite's limit of parameters
    _WAIT = 30  # seconds to wait for another build's transaction

    def __init__(self, path: Path, project: Path) -> None:
        self.path = path
        self.project = project  # the run's: a database it makes must not leave it (storage.py)
        self._pending: list[tuple[str, bytes]] = []
        self._foreign = False  # the file is not a database of ours, or a damaged one

    def get(self, keys: Sequence[str]) -> dict[str, bytes]:
        """The records stored under any of `keys`."""
        found: dict[str, bytes] = {}
        if not self._plain_file():
            return found
        db = None
        try:
            uri = f"file:{urllib.parse.quote(str(self.path))}?mode=ro"
            db = sqlite3.connect(uri, uri=True, timeout=self._WAIT)
            if not self._ours(db):
                self._foreign = True
                return found
            for start in range(0, len(keys), self._BATCH):
                batch = keys[start : start + self._BATCH]
                marks = ",".join("?" * len(batch))
                query = f"SELECT key, sealed FROM entries WHERE key IN ({marks})"
                for key, sealed in db.execute(query, batch).fetchall():
                    if isinstance(sealed, bytes):
                        found[key] = sealed
        except sqlite3.OperationalError:
            pass  # busy, or cannot be opened: do without
        except sqlite3.DatabaseError:
            self._foreign = True  # not a database, or a damaged one
        finally:
            if db is not None:
                db.close()
        return found

    def put(self, key: str, sealed: bytes) -> None:
        self._pending.append((key, sealed))

    def close(self) -> None:
        """Write the new entries, in one transaction; a cache that cannot be written is only
        slower."""
        pending, self._pending = self._pending, []
        if not pending:
            return
        db = None
        try:
            db = self._writable()
            if db is not None:
                with db:
                    db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?)", pending)
        except (OSError, sqlite3.Error):
            pass
        finally:
            if db is not None:
                db.close()

    def _writable(self) -> sqlite3.Connection | None:
        if self._plain_file() and not self._foreign:
            db = sqlite3.connect(self.path, timeout=self._WAIT)
            try:
                if self._ours(db):
                    return db
            except sqlite3.OperationalError:
                db.close()
                return None  # busy: keep it, do without
            except sqlite3.DatabaseError:
                pass
            db.close()
        # Not ours (a link, a folder, another database, a damaged one, or none): start afresh,
        # never following a link.
        if self.path.is_symlink() or self.path.is_file():
            self.path.unlink()
        elif self.path.exists():
            return None  # a folder or a device in the way
        check_inside_project(self.path, self.project)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644))
        db = sqlite3.connect(self.path, timeout=self._WAIT)
        db.execute(self._SCHEMA)
        return db

    def _plain_file(self) -> bool:
        try:
            return stat.S_ISREG(os.lstat(self.path).st_mode)
        except OSError:
            return False

    def _ours(self, db: sqlite3.Connection) -> bool:
        db.execute("PRAGMA trusted_schema = OFF")
        schema = db.execute("SELECT type, name, sql FROM sqlite_master ORDER BY type DESC")
        return tuple(schema.fetchall()) == self._EXPECTED
