"""A git revision's files, laid out in a folder, so that its notes can be built and compared."""

from __future__ import annotations

import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import Note


def checkout_revision(repo_dir: Path, ref: str, into: Path) -> Path:
    """Write the tree of `ref` into the folder `into`, laid out as the repository root; return it.

    `repo_dir` may be any folder inside the repository. Uses `git archive`, so no worktree or
    index of the repository is touched. Raises ValueError for a folder outside git or an unknown
    revision.
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
    into.mkdir(parents=True, exist_ok=True)
    sha = commit.stdout.decode().strip()
    with tempfile.TemporaryFile() as errors:
        with subprocess.Popen(
            ["git", "archive", "--format=tar", sha], cwd=root, stdout=subprocess.PIPE, stderr=errors
        ) as archive:
            assert archive.stdout is not None
            with tarfile.open(fileobj=archive.stdout, mode="r|") as tar:
                tar.extractall(into, filter=_inside)
        if archive.returncode != 0:
            errors.seek(0)
            raise ValueError(f"git archive {ref} failed: {errors.read().decode().strip()}")
    return into


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


def _inside(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
    """Tar's safe "data" filter, skipping (not failing on) links that point out of the tree."""
    try:
        return tarfile.data_filter(member, dest)
    except tarfile.FilterError:
        return None


def _git(folder: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=folder, capture_output=True, check=False)
    except FileNotFoundError as exc:
        raise ValueError(f"cannot run git ({exc.strerror}): is git installed?") from exc


def _reason(done: subprocess.CompletedProcess[bytes]) -> str:
    text = done.stderr.decode(errors="replace").strip()
    return text.removeprefix("fatal: ") or f"git exited with status {done.returncode}"


def notes_at_revision(ref: str, folder: Path) -> list[Note]:
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
        base = checkout_revision(folder, ref, Path(temporary, "tree")) / relative
        ignored = Diagnostics()
        config = load_config(base, ignored)
        config = replace(config, source=base / config.source, output=Path(temporary, "build"))
        return read_notes(config, [config.source], ignored)
