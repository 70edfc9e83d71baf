"""The notes of a git revision: its files laid out in a folder, and built from there.

`diff --against REF` and `preview --changed-since REF` both take the notes of REF from
`notes_at_revision`, under one set of rules: the revision's own settings, only its notes,
pictures and settings files written, no link followed out of them, sizes capped, and pictures
shared with the working tree's picture cache. What a revision built is kept in that output
folder's cache (`revision_cache`), so the next command against the same notes builds nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import CONFIG_FILES
from ..context import Context
from . import BlobReader, git_process, repository_root
from .tree import FILES, FOLDER, LINK, Tree

if TYPE_CHECKING:
    from ..model import RenderedNote


MAX_PICTURE_BYTES = 32 * 1024 * 1024  # a picture larger than this is left out
MAX_REVISION_BYTES = 256 * 1024 * 1024  # all the files taken from a revision
_MAX_CONFIG_BYTES = 1024 * 1024


def notes_at_revision(
    ref: str,
    project: Path,
    output: Path,
    paths: Sequence[Path] | None = None,
    context: Context | None = None,
) -> list[RenderedNote]:
    """The notes of the project in the folder `project` as git revision `ref` built them: with
    the settings files it had there, from the notes folder they name, or, given `paths` (note
    files and folders of the working tree), from the same places in the revision.

    Pictures are drawn into, and taken from, the picture cache of the working tree's output
    folder `output` (pictures are named by what they show); the rest is built in a temporary
    folder, and the notes built are kept in that output folder's cache, so the next call for
    the same notes (by `revision_key`) builds nothing. The revision's problems are not
    reported: a comparison takes what was there.

    Raises ValueError for a folder outside git, an unknown revision, a path outside the
    repository, or a revision too large to take. The build runs in `context`, by default the
    process's.
    """
    from ..build import read_notes
    from ..config import load_config
    from ..context import Context
    from ..errors import Diagnostics
    from ..storage import Storage
    from .revision_cache import built_notes, keep_built_notes

    context = context or Context.from_environment()
    root = repository_root(project).resolve()
    relative = project.resolve().relative_to(root)
    prefix = "" if relative == Path() else relative.as_posix() + "/"
    with tempfile.TemporaryDirectory(prefix="ankigen-revision-") as temporary:
        tree = Path(temporary, "tree")
        settings = [prefix + name for name in CONFIG_FILES]
        checkout_revision(root, ref, tree, settings)
        ignored = Diagnostics()
        config = load_config(tree / relative, ignored)
        if paths is None:
            wanted = [prefix + config.source.as_posix()]
        else:
            wanted = [_in_repository(path, root) for path in paths]
        key = revision_key(root, ref, settings + wanted)
        storage = Storage.of(context)
        kept = built_notes(output, key, storage)
        if kept is not None:
            return kept
        checkout_revision(root, ref, tree, wanted)
        sources = [tree / name for name in wanted if (tree / name).exists()]
        if not sources:
            return []  # none of the notes were there yet
        built = Path(temporary, "build")
        _share_pictures(built, output, storage.project)
        config = replace(config, source=tree / relative / config.source, output=built)
        notes = read_notes(config, sources, ignored, context=context)
        keep_built_notes(output, key, notes, storage)
        return notes


def revision_key(root: Path, ref: str, paths: Sequence[str]) -> str:
    """What the notes built from `paths` (from the top of the repository in `root`) at git
    revision `ref` depend on: ankigen's code, each path and what it leads to in the revision's
    tree (the id of the folder or file there covers every file under it, links inside it
    included). A new commit that leaves them alone keeps the key."""
    from ..fingerprint import code_fingerprint

    parts: list[object] = [code_fingerprint()]
    with BlobReader(root) as blobs:
        tree = Tree(root, _commit(root, ref), blobs)
        for path in paths:
            real = tree.real(path)
            parts.append([path, real, tree.entry(real) if real is not None else None])
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def _in_repository(path: Path, root: Path) -> str:
    """Where the working tree's `path` is from the repository's top."""
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        raise ValueError(f"{path} is outside the git repository {root}") from None


def _share_pictures(built: Path, output: Path, project: Path) -> None:
    """Let the build in `built` use the picture cache of the output folder `output`: a link to
    it, made only when it is (or can be made) a real folder reached through no link out of
    the run's `project`. Otherwise the revision's pictures are drawn afresh, which only costs
    time."""
    from ..storage import check_inside_project

    shared = output / ".cache" / "pictures"
    try:
        check_inside_project(shared / "picture", project)
        shared.mkdir(parents=True, exist_ok=True)
        if stat.S_ISDIR(os.lstat(shared).st_mode):
            (built / ".cache").mkdir(parents=True)
            (built / ".cache" / "pictures").symlink_to(shared.resolve(), target_is_directory=True)
    except OSError:
        pass


def checkout_revision(
    repo_dir: Path, ref: str, into: Path, paths: Sequence[str] | None = None
) -> Path:
    """Write what ankigen reads of the tree of `ref` into the folder `into`, laid out as the
    repository root; return it.

    Only the note files and pictures under each of `paths` (folders, from the repository's
    top; by default `repo_dir`'s) are written, and the configuration files named among them:
    a revision comes from anyone's history, so nothing else of it (a huge file, a link out of
    the tree) is ever written. A path with a `..` part is left out. Links are followed inside
    the revision's tree, never written; a link that leaves the tree or its notes folder is
    left out. Files larger than their cap are left out too, and a revision whose wanted files
    together pass `MAX_REVISION_BYTES` is refused. A file already in `into` (from an earlier
    call for the same revision) is kept.

    `repo_dir` may be any folder inside the repository. No worktree or index of the repository
    is touched. Raises ValueError for a folder outside git or an unknown revision.
    """
    root = repository_root(repo_dir)
    commit = _commit(root, ref)
    if paths is None:
        paths = [repo_dir.resolve().relative_to(root.resolve()).as_posix()]
    with BlobReader(root) as blobs:
        tree = Tree(root, commit, blobs)
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
        for name, (blob, _) in sorted(wanted.items()):
            target = into.joinpath(*name.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with open(target, "xb") as file:  # a fresh folder: no link is in the way
                    file.write(blobs.read(blob))
            except FileExistsError:
                continue
    return into


def _commit(root: Path, ref: str) -> str:
    """The commit id of git revision `ref` of the repository whose top is `root`."""
    if not ref or ref.startswith("-"):
        raise ValueError(f"invalid git revision {ref!r}")
    commit = git_process(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if commit.returncode != 0:
        raise ValueError(
            f"unknown git revision {ref!r} in {root} "
            "(in a shallow clone, fetch it first, e.g. `git fetch origin main`)"
        )
    return commit.stdout.decode().strip()


def _wanted_files(tree: Tree, path: str) -> dict[str, tuple[str, int]]:
    """The files to write for `path` (a folder or file of the revision), by where they go."""
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." in parts:
        return {}  # written where it is named: never above the folder written into
    path = "/".join(parts)
    real = tree.real(path)
    if real is None:
        return {}
    entry = tree.entry(real)
    if entry is None:
        return {}
    mode, blob, size = entry
    if mode in FILES:  # a file named on its own
        return {path: (blob, size)} if _kept(path.rpartition("/")[2], size, named=True) else {}
    if mode != FOLDER:
        return {}
    found = {}
    for name, (mode, blob, size) in tree.below(real).items():
        relative = name[len(real) + 1 :] if real else name
        if any(part.startswith(".") for part in relative.split("/")):
            continue  # hidden, as the working tree's walk skips them
        if mode == LINK:  # followed inside the tree, and only to a file of the notes
            target = tree.real(name)
            inside = target is not None and (not real or target.startswith(real + "/"))
            entry = tree.entry(target) if target is not None and inside else None
            if entry is None or entry[0] not in FILES:
                continue
            mode, blob, size = entry
        if mode in FILES and _kept(relative.rpartition("/")[2], size, named=False):
            found[f"{path}/{relative}" if path else relative] = (blob, size)
    return found


def _kept(name: str, size: int, named: bool) -> bool:
    """Whether a file of the revision is one ankigen reads: a note, a picture, or (named on
    its own) a configuration file; each within its size cap."""
    from ..parse import IMAGE_SUFFIXES
    from ..sources import MAX_NOTE_BYTES, NOTE_SUFFIXES

    lower = name.lower()
    if lower.endswith(NOTE_SUFFIXES):
        return size <= MAX_NOTE_BYTES
    if lower.endswith(IMAGE_SUFFIXES):
        return size <= MAX_PICTURE_BYTES
    return named and name in CONFIG_FILES and size <= _MAX_CONFIG_BYTES
