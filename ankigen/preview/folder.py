"""The preview folder: the page, its script and style, MathJax, and the cards' media.

Everything the page needs is copied in, so the folder works offline, from disk or from any static
file server. The page is replaced atomically; media files no longer used are removed.

The cards are data files in `cards/`, named after their content: an unchanged chunk keeps its
file, so a rebuild after one changed card writes that card's chunk, the search index and the page.

The folder may hold files a pull request committed, and the page runs its scripts: every file
the page loads is compared with ankigen's own copy on every run and replaced when it differs (a
link is replaced, never followed), and files in the MathJax and cards folders that are not
ankigen's are removed.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from ..model import MediaFile
from ..storage import check_inside_project, read_regular, remove_leftovers, write_atomically
from . import PreviewError
from .chunks import CHUNK_FOLDER, DataFile
from .page import MATHJAX_BUNDLE, MATHJAX_FOLDER

ASSETS = ("preview.css", "preview.js")
MANIFEST = ".ankigen-preview.json"  # media written by the last build, to clean up after it
MATHJAX_FILES = (MATHJAX_BUNDLE,)
MATHJAX_EXTENSIONS = "input/tex/extensions"  # TeX packages MathJax loads on demand
MATHJAX_FONTS = "output/chtml/fonts/woff-v2"  # the CommonHTML output's fonts
_MEDIUM = re.compile(r"ankigen-[0-9a-f]+\.[a-z0-9]+")


def write_folder(
    folder: Path,
    page: str,
    build_id: str,
    data: Iterable[DataFile],
    media: Iterable[MediaFile],
    project: Path,
    now: float,
) -> Path:
    """Write the preview into `folder`, never through a link out of the run's `project`: the
    page, its data files (only those that changed), the media; return its index.html.
    Temporary files killed writers left, an hour before `now` at least, go. Raises PreviewError
    when it cannot be written."""
    try:
        check_inside_project(folder / "index.html", project)  # before making any folder
        folder.mkdir(parents=True, exist_ok=True)
        _copy_mathjax(folder / MATHJAX_FOLDER, project, now)
        package = resources.files(__package__)
        for name in ASSETS:
            _write_if_changed(folder / name, package.joinpath(name).read_bytes(), project)
        names = set()
        for medium in media:  # named after their content, which is checked
            _write_if_changed(folder / medium.name, medium.data, project)
            names.add(medium.name)
        _forget_old_media(folder, names, project)
        _write_data(folder / CHUNK_FOLDER, data, project, now)
        _write_if_changed(folder / "index.html", page.encode(), project)
        _write_if_changed(folder / "build.txt", build_id.encode(), project)
        remove_leftovers(folder, now)
    except OSError as exc:
        raise PreviewError(f"cannot write the preview into {folder}: {exc}") from exc
    return folder / "index.html"


def mathjax_source() -> Traversable:
    """MathJax's es5 bundles as the django-static-mathjax package ships them; PreviewError when
    they are missing."""
    try:
        source = resources.files("mathjax").joinpath("static", "mathjax", "es5")
    except ModuleNotFoundError:
        source = None
    if source is None or not source.joinpath(MATHJAX_FILES[0]).is_file():
        raise PreviewError(
            "MathJax is missing: install ankigen with its dependencies "
            "(pip install 'django-static-mathjax>=3.2.2,<3.3')"
        )
    return source


def _copy_mathjax(target: Path, project: Path, now: float) -> None:
    source = mathjax_source()
    files = [(source.joinpath(name), target / name) for name in MATHJAX_FILES]
    for folder, suffix in ((MATHJAX_EXTENSIONS, ".js"), (MATHJAX_FONTS, ".woff")):
        files += [
            (entry, target / folder / entry.name)
            for entry in source.joinpath(*folder.split("/")).iterdir()
            if entry.name.endswith(suffix)
        ]
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        target.unlink()  # a planted link or file in the place of MathJax's folder
    _remove_strangers(target, {copy for _, copy in files}, now)  # first: links on the way go too
    for origin, copy in files:
        _write_if_changed(copy, origin.read_bytes(), project)


def _write_data(target: Path, files: Iterable[DataFile], project: Path, now: float) -> None:
    """Write the cards' data files, each named after its content, so that only a changed chunk
    is written; every other file in their folder goes (an old chunk, or a planted one)."""
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        target.unlink()
    written = {target.parent / file.name: file.data for file in files}
    _remove_strangers(target, set(written), now)
    for path, data in written.items():
        if data is not None:  # None: kept from an earlier run, checked intact
            _write_if_changed(path, data, project)


def _remove_strangers(target: Path, ours: set[Path], now: float) -> None:
    """Remove every file and link in the `target` folder that is not one of `ours`, but for
    the temporary files of a preview being written now (hidden: the page loads none)."""
    for folder, subfolders, names in os.walk(target):
        for name in names + [n for n in subfolders if os.path.islink(os.path.join(folder, n))]:
            path = Path(folder, name)
            if path not in ours and not (name.startswith(".") and path.is_file()):
                path.unlink(missing_ok=True)
        remove_leftovers(Path(folder), now)


def _write_if_changed(path: Path, data: bytes, project: Path) -> None:
    """Replace the file unless it is a regular file (not a link) holding exactly `data`: the
    folder may hold planted files, and a file's time tells a real change."""
    try:
        same = read_regular(path, len(data)) == data
    except OSError:
        same = False
    if not same:
        write_atomically(path, data, project)


def _forget_old_media(folder: Path, keep: set[str], project: Path) -> None:
    manifest = folder / MANIFEST
    try:
        previous = set(json.loads(read_regular(manifest, 16 * 1024 * 1024)))
    except (OSError, ValueError, TypeError):
        previous = set()
    for name in previous - keep:
        if isinstance(name, str) and _MEDIUM.fullmatch(name):  # never the page's own files
            (folder / name).unlink(missing_ok=True)
    _write_if_changed(manifest, json.dumps(sorted(keep), indent=1).encode(), project)
