"""Find the note files, read them, and decide the time their notes carry."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

from .errors import Diagnostics, Location
from .model import SourceFile

NOTE_SUFFIXES = (".md", ".markdown")


def discover(
    paths: Iterable[Path], diagnostics: Diagnostics, notes_root: Path | None = None
) -> list[SourceFile]:
    """Every note file under `paths`, sorted, decoded; unreadable files become diagnostics.

    A file named on its own belongs to the notes folder `notes_root` when it lies inside it (as
    when a pre-commit hook passes single files), else to its own folder.
    """
    root = notes_root.resolve() if notes_root else None
    found: list[tuple[Path, Path]] = []
    for given in paths:
        path = given.resolve()
        if path.is_dir():
            found += [(f, path) for f in sorted(_walk(path))]
        elif path.is_file():
            inside = root is not None and path.is_relative_to(root)
            found.append((path, root if inside and root else path.parent))
        else:
            diagnostics.error(Location(str(given)), "no such file or folder")
    found = list({path: (path, root) for path, root in reversed(found)}.values())[::-1]
    times = note_times([p for p, _ in found])
    files = []
    for path, root in found:
        display = _display(path)
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            data = path.read_bytes()
            line = data.count(b"\n", 0, exc.start) + 1
            col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
            diagnostics.error(Location(display, line, col), "file is not UTF-8 text")
            continue
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        files.append(SourceFile(path, root, display, text, times[path]))
    return files


def _walk(root: Path) -> Iterable[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if name.endswith(NOTE_SUFFIXES) and not name.startswith("."):
                yield Path(dirpath, name)


def _display(path: Path) -> str:
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


def note_times(paths: list[Path]) -> dict[Path, int]:
    """The time each file's notes carry: SOURCE_DATE_EPOCH, else the file's last commit, else now.

    Anki updates a note on import only when the incoming one is newer, so an unchanged file keeps
    its time and a user's own edits in Anki survive; an edited file gets a newer time.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is not None and epoch.strip().isdigit():
        return dict.fromkeys(paths, int(epoch))
    now = int(time.time())
    times = dict.fromkeys(paths, now)
    by_dir: dict[Path, list[Path]] = {}
    for path in paths:
        by_dir.setdefault(path.parent, []).append(path)
    for folder, members in by_dir.items():
        times.update(_git_times(folder, members))
    return times


def _git(folder: Path, *args: str) -> str | None:
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    try:
        done = subprocess.run(
            ["git", "-c", "core.quotepath=off", *args],
            cwd=folder,
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
    except OSError:
        return None
    return done.stdout if done.returncode == 0 else None


def _git_times(folder: Path, members: list[Path]) -> dict[Path, int]:
    """Commit times of the members of one folder that git tracks and that are unchanged."""
    top = _git(folder, "rev-parse", "--show-toplevel")
    status = _git(folder, "status", "--porcelain", "-z", "--untracked-files=all", "--", ".")
    log = _git(folder, "log", "--format=%x00%ct", "--name-only", "--", ".")
    if top is None or status is None or log is None:
        return {}
    toplevel = Path(top.strip()).resolve()
    dirty = {entry[3:] for entry in status.split("\0") if len(entry) > 3}
    latest: dict[str, int] = {}
    for block in log.split("\0")[1:]:
        stamp, _, names = block.partition("\n")
        for name in names.split("\n"):
            if name:
                latest.setdefault(name, int(stamp))
    times = {}
    for path in members:
        name = path.relative_to(toplevel).as_posix()
        if name in latest and name not in dirty:
            times[path] = latest[name]
    return times
