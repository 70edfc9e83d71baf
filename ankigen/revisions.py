"""A git revision's files, laid out in a folder, so that its notes can be built and compared."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .config import CONFIG_FILES

if TYPE_CHECKING:
    from .model import RenderedNote


MAX_PICTURE_BYTES = 32 * 1024 * 1024  # a picture larger than this is left out
MAX_REVISION_BYTES = 256 * 1024 * 1024  # all the files taken from a revision
MAX_REVISION_ENTRIES = 200_000  # files and folders listed under its notes
_MAX_CONFIG_BYTES = 1024 * 1024
_MAX_LINK_BYTES = 4096
_LINK, _FILES = "120000", ("100644", "100755")


def checkout_revision(
    repo_dir: Path, ref: str, into: Path, paths: Sequence[str] | None = None
) -> Path:
    """Write what ankigen reads of the tree of `ref` into the folder `into`, laid out as the
    repository root; return it.

    Only the note files and pictures under each of `paths` (folders, from the repository's
    top; by default `repo_dir`'s) are written, and the configuration files named among them:
    a revision comes from anyone's history, so nothing else of it (a huge file, a link out of
    the tree) is ever written. Links are followed inside the revision's tree, never written;
    a link that leaves the tree or its notes folder is left out. Files larger than their cap
    are left out too, and a revision whose wanted files together pass `MAX_REVISION_BYTES` is
    refused.

    `repo_dir` may be any folder inside the repository. No worktree or index of the repository
    is touched. Raises ValueError for a folder outside git or an unknown revision.
    """
    if not ref or ref.startswith("-"):
        raise ValueError(f"invalid git revision {ref!r}")
    root = repository_root(repo_dir)
    commit = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if commit.returncode != 0:
        raise ValueError(
            f"unknown git revision {ref!r} in {root} "
            "(in a shallow clone, fetch it first, e.g. `git fetch origin main`)"
        )
    if paths is None:
        paths = [repo_dir.resolve().relative_to(root.resolve()).as_posix()]
    tree = _Tree(root, commit.stdout.decode().strip())
    wanted: dict[str, tuple[str, int]] = {}  # where to write -> blob and size
    for path in paths:
        wanted.update(_wanted_files(tree, path))
    total = sum(size for _, size in wanted.values())
    if total > MAX_REVISION_BYTES:
        raise ValueError(
            f"the notes at {ref} hold {total // 2**20} MiB, more than the "
            f"{MAX_REVISION_BYTES // 2**20} MiB ankigen reads from a revision"
        )
    into.mkdir(parents=True, exist_ok=True)
    with _Blobs(root) as blobs:
        for name, (blob, _) in sorted(wanted.items()):
            target = into.joinpath(*name.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "xb") as file:  # a fresh folder: nothing is in the way
                file.write(blobs.read(blob))
    return into


def _wanted_files(tree: _Tree, path: str) -> dict[str, tuple[str, int]]:
    """The files to write for `path` (a folder or file of the revision), by where they go."""
    path = "/".join(part for part in path.split("/") if part not in ("", "."))
    real = tree.real(path)
    if real is None:
        return {}
    entry = tree.entry(real)
    if entry is None:
        return {}
    mode, blob, size = entry
    if mode in _FILES:  # a file named on its own
        return {path: (blob, size)} if _kept(path.rpartition("/")[2], size, named=True) else {}
    if mode != "040000":
        return {}
    found = {}
    for name, (mode, blob, size) in tree.below(real).items():
        relative = name[len(real) + 1 :] if real else name
        if any(part.startswith(".") for part in relative.split("/")):
            continue  # hidden, as the working tree's walk skips them
        if mode == _LINK:  # followed inside the tree, and only to a file of the notes
            target = tree.real(name)
            inside = target is not None and (not real or target.startswith(real + "/"))
            entry = tree.entry(target) if target is not None and inside else None
            if entry is None or entry[0] not in _FILES:
                continue
            mode, blob, size = entry
        if mode in _FILES and _kept(relative.rpartition("/")[2], size, named=False):
            found[f"{path}/{relative}" if path else relative] = (blob, size)
    return found


def _kept(name: str, size: int, named: bool) -> bool:
    """Whether a file of the revision is one ankigen reads: a note, a picture, or (named on
    its own) a configuration file; each within its size cap."""
    from .parse import IMAGE_SUFFIXES
    from .sources import MAX_NOTE_BYTES, NOTE_SUFFIXES

    lower = name.lower()
    if lower.endswith(NOTE_SUFFIXES):
        return size <= MAX_NOTE_BYTES
    if lower.endswith(IMAGE_SUFFIXES):
        return size <= MAX_PICTURE_BYTES
    return named and name in CONFIG_FILES and size <= _MAX_CONFIG_BYTES


class _Tree:
    """The entries of one commit's tree, asked of git as needed."""

    def __init__(self, root: Path, commit: str) -> None:
        self.root, self.commit = root, commit
        self._entries: dict[str, tuple[str, str, int] | None] = {"": ("040000", commit, 0)}
        self._targets: dict[str, str] = {}

    def _list(self, path: str, recursive: bool) -> dict[str, tuple[str, str, int]]:
        """The entries at `path` (or under it, recursively), read as git prints them and
        refused past `MAX_REVISION_ENTRIES`: a tree of nested copies lists without end."""
        args = ["-r", "-t"] if recursive else []
        command = ["git", "--literal-pathspecs", "ls-tree", "--full-tree", "-z", "-l", *args]
        found: dict[str, tuple[str, str, int]] = {}
        with subprocess.Popen(
            [*command, self.commit, "--", path or "."],
            cwd=self.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        ) as listing:
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

    def entry(self, path: str) -> tuple[str, str, int] | None:
        """The mode, object and size at `path` (no link followed), None where there is none."""
        if path not in self._entries:
            self._entries[path] = self._list(path, recursive=False).get(path)
        return self._entries[path]

    def below(self, folder: str) -> dict[str, tuple[str, str, int]]:
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
            if entry is not None and entry[0] == _LINK:
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
            done = _git(self.root, "cat-file", "blob", blob)
            self._targets[blob] = done.stdout.decode("utf-8", "surrogateescape")
        return self._targets[blob]


def _record(record: bytes, found: dict[str, tuple[str, str, int]]) -> None:
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


class _Blobs:
    """Blobs read one at a time through one `git cat-file --batch`."""

    def __init__(self, root: Path) -> None:
        self._process = subprocess.Popen(
            ["git", "cat-file", "--batch"],
            cwd=root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )

    def __enter__(self) -> _Blobs:
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        self._process.kill()
        self._process.wait()

    def read(self, blob: str) -> bytes:
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None and stdout is not None
        stdin.write(blob.encode() + b"\n")
        stdin.flush()
        header = stdout.readline().split()
        if len(header) != 3 or header[1] != b"blob":
            raise ValueError(f"git cat-file could not read {blob}")
        data = stdout.read(int(header[2]))
        stdout.read(1)  # the newline after it
        return data


def repository_root(folder: Path) -> Path:
    """The top folder of the git repository holding `folder` (which may be a subfolder)."""
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder")
    top = _git(folder, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        reason = _reason(top)  # git's own words, unless they say the same again
        said = reason.startswith("not a git repository")
        raise ValueError(f"{folder} is not in a git repository" + ("" if said else f": {reason}"))
    return Path(top.stdout.decode().strip())


def tracked_files(root: Path, folder: Path) -> list[str]:
    """The files under `folder` that git tracks in the repository holding `root`, if any."""
    try:
        done = subprocess.run(
            ["git", "--literal-pathspecs", "ls-files", "-z", "--", str(folder)],
            cwd=root,
            capture_output=True,
            check=False,
        )
    except OSError:
        return []
    if done.returncode != 0:
        return []
    return [name for name in done.stdout.decode(errors="replace").split("\0") if name]


def _git(folder: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=folder, capture_output=True, check=False)
    except FileNotFoundError as exc:
        raise ValueError(f"cannot run git ({exc.strerror}): is git installed?") from exc


def _reason(done: subprocess.CompletedProcess[bytes]) -> str:
    text = done.stderr.decode(errors="replace").strip()
    return text.removeprefix("fatal: ") or f"git exited with status {done.returncode}"


def notes_at_revision(ref: str, folder: Path) -> list[RenderedNote]:
    """The notes of the project in `folder` as they were at git revision `ref`.

    The revision is built in a temporary checkout with its own settings; its problems are not
    reported (a diff compares what was there).
    """
    from dataclasses import replace

    from .build import read_notes
    from .config import load_config
    from .errors import Diagnostics

    relative = folder.resolve().relative_to(repository_root(folder).resolve())
    with tempfile.TemporaryDirectory(prefix="ankigen-revision-") as temporary:
        tree = Path(temporary, "tree")
        project = "" if relative == Path() else relative.as_posix() + "/"
        checkout_revision(folder, ref, tree, [project + name for name in CONFIG_FILES])
        base = tree / relative
        ignored = Diagnostics()
        config = load_config(base, ignored)
        checkout_revision(folder, ref, tree, [project + config.source.as_posix()])
        config = replace(config, source=base / config.source, output=Path(temporary, "build"))
        return read_notes(config, [config.source], ignored)
