"""Find the note files, read them, and decide the time their notes carry."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable
from pathlib import Path

from .context import Context
from .errors import Diagnostics, Location
from .git import run_git
from .model import SourceFile
from .storage import read_regular

NOTE_SUFFIXES = (".md", ".markdown")


MAX_NOTE_BYTES = 8 * 1024 * 1024  # a note file larger than this is a mistake, not notes
# `--serve` finds and reads every note file again on each save. A file whose status is what it
# was when this process read it (device, inode, size, modification and change times: no one can
# set the change time, and every write moves it) is not read again: the same `SourceFile` is
# given, by its path as found. Only a file unchanged for STILL_NS before it was read is reused,
# since a second write within the clock's tick could leave its times as they were (git's
# "racy" files). A path's `Path` and how it is shown are kept too, by the working folder.
_READ: dict[str, tuple[tuple[int, ...], str, SourceFile]] = {}  # signature, real place, file
_SHOWN: dict[tuple[str, str], tuple[Path, str]] = {}
STILL_NS = 2_000_000_000


def discover(
    paths: Iterable[Path],
    diagnostics: Diagnostics,
    notes_root: Path | None = None,
    context: Context | None = None,
) -> list[SourceFile]:
    """Every note file under `paths`, sorted, decoded; unreadable files become diagnostics.
    Each carries its modification time, or SOURCE_DATE_EPOCH when `context` has one; paths are
    shown from the context's working folder (by default, the process's).

    A file named on its own belongs to the notes folder `notes_root` when it lies inside it (as
    when a pre-commit hook passes single files), else to its own folder. A file that is a link
    to somewhere outside its notes folder, or not a regular file, is refused: notes come from
    strangers' pull requests.
    """
    context = context or Context.from_environment()
    root = notes_root.resolve() if notes_root else None
    display = _displayer(str(context.cwd))

    def unreadable(folder: str, exc: OSError) -> None:
        reason = exc.strerror or str(exc)
        diagnostics.error(Location(display(Path(folder))), f"cannot read the folder: {reason}")

    # Paths as strings until sorted: pathlib's comparisons would cost more than the reading.
    found: dict[str, tuple[Path, bool]] = {}  # file -> its notes folder, whether to resolve it
    for given in paths:
        path = Path(os.path.abspath(given))  # `../notes` from a sub-folder, without the `..`
        if path.is_dir():
            # Walked through its real place, so that every file lies inside its notes folder
            # by name too, however the folder was reached.
            folder = path.resolve()
            for file, plain in _walk(folder, unreadable):
                found.setdefault(file, (folder, not plain))
        elif path.is_file():
            path = Path(path.parent.resolve(), path.name)  # its folder's real place, as above
            inside = root is not None and path.resolve().is_relative_to(root)
            folder = root if inside and root else path.parent.resolve()
            found.setdefault(str(path), (folder, True))
        else:
            diagnostics.error(Location(str(given)), "no such file or folder")
    readable: dict[Path, tuple[Path, str, Path, os.stat_result]] = {}  # with its real place
    modified: dict[Path, int] = {}
    cwd = str(context.cwd)
    for name in sorted(found, key=lambda name: name.split(os.sep)):  # as paths sort
        folder, resolve = found[name]
        path, shown = _SHOWN.get((name, cwd)) or _shown_as(name, cwd, display)
        if not shown.isprintable() and _not_utf8(shown):
            safe = shown.encode("utf-8", "backslashreplace").decode()
            diagnostics.error(Location(safe), "the file's name is not UTF-8: rename it")
            continue
        accepted = _acceptable(path, folder, resolve, shown, diagnostics)
        if accepted is not None:
            real, status = accepted
            readable[path] = (folder, shown, real, status)
            modified[path] = int(status.st_mtime)
    epoch = context.epoch
    times = modified if epoch is None else dict.fromkeys(modified, epoch)
    files = []
    now = int(context.clock() * 1e9)
    for path, (folder, shown, real, status) in readable.items():
        source = _source(path, folder, shown, real, status, times[path], now, diagnostics)
        if source is not None:
            files.append(source)
    kept = {str(path) for path in readable}
    for gone in _READ.keys() - kept:
        del _READ[gone]  # only the files of the latest run are kept
    for old in [seen for seen in _SHOWN if seen[0] not in kept]:
        del _SHOWN[old]
    return files


def _shown_as(name: str, cwd: str, display: Callable[[Path], str]) -> tuple[Path, str]:
    path = Path(name)
    _SHOWN[name, cwd] = path, display(path)
    return _SHOWN[name, cwd]


def _source(
    path: Path,
    folder: Path,
    shown: str,
    real: Path,
    status: os.stat_result,
    modified: int,
    now: int,
    diagnostics: Diagnostics,
) -> SourceFile | None:
    """The note file, read; the one this process read before when it is still as it was."""
    signature = (*(status.st_dev, status.st_ino, status.st_size), *_times(status))
    before = _READ.get(str(path))
    if before is not None and before[:2] == (signature, str(real)):
        source = before[2]
        if (source.root, source.display, source.modified) == (folder, shown, modified):
            return source
    text = _text(real, status, shown, diagnostics)
    if text is None:
        return None
    source = SourceFile(path, folder, shown, text, modified)
    if max(_times(status)) < now - STILL_NS:
        _READ[str(path)] = (signature, str(real), source)
    return source


def _text(real: Path, status: os.stat_result, shown: str, diagnostics: Diagnostics) -> str | None:
    """The file's text, with its line ends made `\\n`; None, with the problem reported, when
    it cannot be read or is not UTF-8."""
    try:  # the very file checked: not a link, nor another file put in its place since
        data = read_regular(real, MAX_NOTE_BYTES, expected=status)
    except OSError as exc:  # renamed or removed since it was listed, say
        diagnostics.error(Location(shown), f"cannot read the file: {exc.strerror or exc}")
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        diagnostics.error(Location(shown, line, col), "file is not UTF-8 text")
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _times(status: os.stat_result) -> tuple[int, int]:
    return status.st_mtime_ns, status.st_ctime_ns


def _not_utf8(name: str) -> bool:
    """Whether a name read from the disk holds bytes that are not UTF-8 (as lone surrogates)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _acceptable(
    path: Path, folder: Path, resolve: bool, shown: str, diagnostics: Diagnostics
) -> tuple[Path, os.stat_result] | None:
    """The real place and status of a regular file of sensible size whose real place is inside
    its notes folder; None, with the problem reported, for any other.

    `resolve` is false for a plain file found by walking the folder (no link on the way), which
    is inside by construction; resolving every one of thousands of files would cost more than
    reading them.
    """
    where = Location(shown)
    try:
        real = path.resolve(strict=True) if resolve else path
        status = os.stat(real)
    except (OSError, RuntimeError) as exc:
        diagnostics.error(where, f"cannot read the file: {exc}")
        return None
    if resolve and not real.is_relative_to(folder):
        diagnostics.error(where, "file is a link to outside the notes folder")
    elif not stat.S_ISREG(status.st_mode):
        diagnostics.error(where, "not a regular file")
    elif status.st_size > MAX_NOTE_BYTES:
        diagnostics.error(where, f"file is larger than {MAX_NOTE_BYTES // 1024 // 1024} MiB")
    else:
        return real, status
    return None


def _walk(root: Path, unreadable: Callable[[str, OSError], None]) -> Iterable[tuple[str, bool]]:
    """Every note file under `root`, skipping hidden names and not following links to folders,
    with whether it is a plain file (not a link, nor a pipe or device). A folder that cannot be
    listed goes to `unreadable`."""
    folders = [str(root)]
    while folders:
        folder = folders.pop()
        try:
            listing = list(os.scandir(folder))
        except OSError as exc:
            unreadable(folder, exc)
            continue
        for entry in listing:
            if entry.name.startswith("."):
                continue
            try:
                is_folder = entry.is_dir()
            except OSError:  # a link in a loop, say: not a folder (as os.walk has it)
                is_folder = False
            if is_folder:
                if not entry.is_symlink():
                    folders.append(entry.path)
            elif entry.name.endswith(NOTE_SUFFIXES):
                plain = entry.is_file(follow_symlinks=False)
                yield entry.path, plain


def _displayer(cwd: str) -> Callable[[Path], str]:
    """How paths are shown in messages: relative to the working folder `cwd`, through `..` when
    the path is beside it (from a sub-folder of the project, say), absolute when it shares no
    more than the top folder with it."""
    prefix = os.path.join(cwd, "")
    top = os.path.join(os.sep, cwd.split(os.sep)[1], "") if cwd != os.sep else None

    def display(path: Path) -> str:
        text = str(path)
        if text.startswith(prefix):
            return text[len(prefix) :].replace(os.sep, "/")
        if top and text.startswith(top) and os.path.commonpath([text, cwd]) != top.rstrip(os.sep):
            return os.path.relpath(text, cwd).replace(os.sep, "/")
        return text

    return display


def note_times(modified: dict[Path, int], epoch: int | None) -> dict[Path, int]:
    """The time of each file, for files notetimes.py cannot follow (outside the notes' git
    HEAD: untracked, or in a repository of their own): the file's last commit, no later than
    SOURCE_DATE_EPOCH (`epoch`); for a file with uncommitted changes, or outside git, `epoch` if
    set, else its modification time (given in `modified`).

    Rebuilding an unchanged working tree gives the same times, so the package need not be
    written again.
    """
    times = dict(modified) if epoch is None else dict.fromkeys(modified, epoch)
    paths = list(modified)
    if not paths:
        return times
    # git once for the folder that holds them all, when it is in a repository (the usual
    # case); then folder by folder for the files it does not know, which may belong to a
    # repository of their own (a submodule, or notes gathered from several repositories).
    committed: dict[Path, int] = {}
    common = Path(os.path.commonpath([path.parent for path in paths]))
    top = run_git(common, "rev-parse", "--show-toplevel")
    unknown = paths
    if top is not None:
        found, unknown = _git_times(common, top, paths)
        committed.update(found)
    by_dir: dict[Path, list[Path]] = {}
    for path in unknown:
        by_dir.setdefault(path.parent, []).append(path)
    for folder, members in by_dir.items():
        inner = run_git(folder, "rev-parse", "--show-toplevel")
        if inner is not None and inner != top:
            committed.update(_git_times(folder, inner, members)[0])
    for path, when in committed.items():
        times[path] = when if epoch is None else min(when, epoch)
    return times


def _git_times(folder: Path, top: str, members: list[Path]) -> tuple[dict[Path, int], list[Path]]:
    """Commit times of the members (files under `folder`, in the repository whose top level is
    `top`) that git tracks and that are unchanged; and the members git knows nothing of.

    A merge counts as a change of the files it changes on its first parent, so a branch merged
    into the main line gives its files the merge's time.
    """
    status = run_git(folder, "status", "--porcelain", "-z", "--untracked-files=all", "--", ".")
    log = run_git(
        folder,
        "log",
        "-z",
        "--format=%x01%ct",
        "--name-only",
        "--diff-merges=first-parent",
        "--",
        ".",
    )
    if status is None or log is None:
        return {}, members
    toplevel = Path(top.strip()).resolve()
    dirty = set()
    entries = iter(status.split("\0"))
    for entry in entries:
        if len(entry) > 3:
            dirty.add(entry[3:])
            if entry[0] in "RC":
                dirty.add(next(entries, ""))  # the old name of a rename or copy
    latest: dict[str, int] = {}
    for block in log.split("\x01")[1:]:
        stamp, _, names = block.partition("\0")
        for name in names.lstrip("\n").split("\0"):
            if name:
                latest.setdefault(name, int(stamp))
    # Names as git gives them: from the top level, through the real folder, to the file (a
    # link stands for the file it leads to, whose changes are the note's).
    inside = folder.resolve().relative_to(toplevel).as_posix()
    start = len(str(folder)) + 1
    times, unknown = {}, []
    for path in members:
        if os.path.islink(path):
            try:
                name = path.resolve().relative_to(toplevel).as_posix()
            except (OSError, RuntimeError, ValueError):
                continue
        else:
            relative = str(path)[start:].replace(os.sep, "/")
            name = f"{inside}/{relative}" if inside != "." else relative
        if name in dirty:
            continue
        if name in latest:
            times[path] = latest[name]
        else:
            unknown.append(path)
    return times, unknown
