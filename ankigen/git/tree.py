"""One commit's tree as ankigen reads it: its entries, listed as needed, and its links followed
inside it as a file system would, never out of it."""

from __future__ import annotations

from pathlib import Path

from . import BlobReader, start_git

MAX_REVISION_ENTRIES = 200_000  # files and folders listed under its notes
LINK, FOLDER, FILES = "120000", "040000", ("100644", "100755")
_MAX_LINK_BYTES = 4096

Entry = tuple[str, str, int]  # mode, object, size


class Tree:
    """The entries of one commit's tree, asked of git as needed; link targets are read
    through `blobs`."""

    def __init__(self, root: Path, commit: str, blobs: BlobReader) -> None:
        self.root, self.commit, self._blobs = root, commit, blobs
        self._entries: dict[str, Entry | None] = {"": (FOLDER, commit, 0)}
        self._targets: dict[str, str] = {}

    def _list(self, path: str, recursive: bool) -> dict[str, Entry]:
        """The entries at `path` (or under it, recursively), read as git prints them and
        refused past `MAX_REVISION_ENTRIES`: a tree of nested copies lists without end."""
        args = ["-r", "-t"] if recursive else []
        command = ["ls-tree", "--full-tree", "-z", "-l", *args, self.commit, "--", path or "."]
        found: dict[str, Entry] = {}
        with start_git(self.root, *command) as listing:
            assert listing.stdout is not None
            pending = b""
            while chunk := listing.stdout.read(1 << 16):
                *records, pending = (pending + chunk).split(b"\0")
                for record in records:
                    _record(record, found)
                if len(found) > MAX_REVISION_ENTRIES:
                    listing.kill()
                    raise ValueError(
                        f"the notes at this revision hold more than {MAX_REVISION_ENTRIES} files"
                    )
            _record(pending, found)
        if listing.returncode != 0:
            raise ValueError(f"git ls-tree failed with status {listing.returncode}")
        return found

    def entry(self, path: str) -> Entry | None:
        """The mode, object and size at `path` (no link followed), None where there is none."""
        if path not in self._entries:
            self._entries[path] = self._list(path, recursive=False).get(path)
        return self._entries[path]

    def below(self, folder: str) -> dict[str, Entry]:
        """Every entry under `folder`, recursively."""
        found = self._list(folder, recursive=True)
        self._entries.update(found)
        return found

    def real(self, path: str) -> str | None:
        """`path` with every link on it followed inside the tree, as the file system would;
        None when a link leads out of the tree, loops, or is absolute."""
        parts, done, hops = path.split("/")[::-1], list[str](), 0
        while parts:
            part = parts.pop()
            if part in ("", "."):
                continue
            if part == "..":
                if not done:
                    return None  # above the tree's top
                done.pop()
                continue
            here = "/".join([*done, part])
            entry = self.entry(here)
            if entry is not None and entry[0] == LINK:
                hops += 1
                if entry[2] > _MAX_LINK_BYTES:
                    return None  # no file system keeps a link this long
                target = self._target(entry[1])
                if hops > 40 or target.startswith("/"):
                    return None
                parts.extend(target.split("/")[::-1])
                continue
            done.append(part)
        return "/".join(done)

    def _target(self, blob: str) -> str:
        if blob not in self._targets:
            data = self._blobs.read_many([blob])[0] or b""
            self._targets[blob] = data.decode("utf-8", "surrogateescape")
        return self._targets[blob]


def _record(record: bytes, found: dict[str, Entry]) -> None:
    """Add one line of `git ls-tree -z -l` to `found`: mode, object and size by path."""
    if not record:
        return
    info, _, raw = record.partition(b"\t")
    mode, _, rest = info.decode(errors="replace").partition(" ")
    _, _, rest = rest.partition(" ")
    blob, _, size = rest.strip().partition(" ")
    name = raw.decode("utf-8", "surrogateescape")
    if _sound(name):
        found[name] = (mode, blob, int(size.strip()) if size.strip().isdigit() else 0)


def _sound(name: str) -> bool:
    """Whether a path from a tree is one to write: no empty, `.` or `..` part, no NUL."""
    return "\0" not in name and all(part not in ("", ".", "..") for part in name.split("/"))
