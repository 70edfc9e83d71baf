"""The preview folder: the page, its script and style, MathJax, and the cards' media.

Everything the page needs is copied in, so the folder works offline, from disk or from any static
file server. The page is replaced atomically; media files no longer used are removed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import click

from ..model import MediaFile
from ..storage import write_atomically
from .page import MATHJAX_BUNDLE, MATHJAX_FOLDER

ASSETS = ("preview.css", "preview.js")
MANIFEST = ".ankigen-preview.json"  # media written by the last build, to clean up after it
MATHJAX_FILES = (MATHJAX_BUNDLE,)
MATHJAX_EXTENSIONS = "input/tex/extensions"  # TeX packages MathJax loads on demand
MATHJAX_FONTS = "output/chtml/fonts/woff-v2"  # the CommonHTML output's fonts


def write_folder(folder: Path, page: str, build_id: str, media: Iterable[MediaFile]) -> Path:
    """Write the preview into `folder`; return its index.html."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _copy_mathjax(folder / MATHJAX_FOLDER)
        package = resources.files(__package__)
        for name in ASSETS:
            _write_if_changed(folder / name, package.joinpath(name).read_bytes())
        names = set()
        for medium in media:  # named after their content: a file of the right size is the same
            path = folder / medium.name
            if not path.is_file() or path.stat().st_size != len(medium.data):
                write_atomically(path, medium.data)
            names.add(medium.name)
        _forget_old_media(folder, names)
        _write_if_changed(folder / "index.html", page.encode())
        _write_if_changed(folder / "build.txt", build_id.encode())
    except OSError as exc:
        raise click.ClickException(f"cannot write the preview into {folder}: {exc}") from exc
    return folder / "index.html"


def mathjax_source() -> Traversable:
    """MathJax's es5 bundles as the django-static-mathjax package ships them."""
    try:
        source = resources.files("mathjax").joinpath("static", "mathjax", "es5")
    except ModuleNotFoundError:
        source = None
    if source is None or not source.joinpath(MATHJAX_FILES[0]).is_file():
        raise click.ClickException(
            "MathJax is missing: install ankigen with its dependencies "
            "(pip install 'django-static-mathjax>=3.2.2,<3.3')"
        )
    return source


def _copy_mathjax(target: Path) -> None:
    source = mathjax_source()
    files = [(source.joinpath(name), target / name) for name in MATHJAX_FILES]
    for folder, suffix in ((MATHJAX_EXTENSIONS, ".js"), (MATHJAX_FONTS, ".woff")):
        files += [
            (entry, target / folder / entry.name)
            for entry in source.joinpath(*folder.split("/")).iterdir()
            if entry.name.endswith(suffix)
        ]
    for origin, copy in files:
        if not copy.is_file():  # MathJax's files never change within its version
            copy.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(copy, origin.read_bytes())


def _write_if_changed(path: Path, data: bytes) -> None:
    """Replace the file only when its content changes: its time tells a real change."""
    if not path.is_file() or path.read_bytes() != data:
        write_atomically(path, data)


def _forget_old_media(folder: Path, keep: set[str]) -> None:
    manifest = folder / MANIFEST
    try:
        previous = set(json.loads(manifest.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        previous = set()
    for name in previous - keep:
        if "/" not in name and "\\" not in name:
            (folder / name).unlink(missing_ok=True)
    _write_if_changed(manifest, json.dumps(sorted(keep), indent=1).encode())
