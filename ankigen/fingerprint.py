"""The code fingerprint: ankigen's own source and the versions of the libraries that shape its
output. What was made by other code (a cache entry, a written package, a history walk) is stale."""

from __future__ import annotations

import hashlib
import os
import re
import sys
from functools import cache
from pathlib import Path

FORMAT = 6  # of what the caches hold: notes as typed tuples; entries name their own key and
# hold their file's outline
_LIBRARIES = (
    "markdown-it-py",
    "mdit-py-plugins",
    "linkify-it-py",
    "pygments",
    "nh3",
    "python-slugify",
    "pyyaml",
    "genanki",
    "matplotlib",
)


@cache
def code_fingerprint() -> str:
    """ankigen's own source and the versions of the libraries that shape its output."""
    digest = hashlib.sha256(f"format {FORMAT}".encode())
    package = Path(__file__).parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    for library, version in _library_versions().items():
        digest.update(f"{library} {version}".encode())
    return digest.hexdigest()


def _library_versions() -> dict[str, str]:
    """The installed version of each library in `_LIBRARIES`: read off the names of the
    `name-version.dist-info` (or `.egg-info`) folders on the import path, first found first (as
    imports are), and asked of importlib.metadata only for a library not found that way, since
    importing it would cost more than the rest of an unchanged build's start."""
    wanted = {_project_key(name): name for name in _LIBRARIES}
    found: dict[str, str] = {}
    for folder in sys.path:
        try:
            entries = os.listdir(folder) if folder else []  # not the working folder's
        except OSError:
            continue
        for entry in entries:
            for suffix in (".dist-info", ".egg-info"):
                if entry.endswith(suffix):
                    project, _, rest = entry.removesuffix(suffix).partition("-")
                    found.setdefault(_project_key(project), rest.split("-")[0])
    versions = {}
    for key, name in wanted.items():
        if key not in found:
            from importlib import metadata

            try:
                found[key] = metadata.version(name)
            except metadata.PackageNotFoundError:
                found[key] = "missing"
        versions[name] = found[key]
    return versions


def _project_key(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()
