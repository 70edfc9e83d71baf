"""Build settings: defaults, overridden by `[tool.ankigen]` in pyproject.toml or ankigen.toml."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from .errors import Diagnostics, Location

CONFIG_FILES = ("ankigen.toml", "pyproject.toml")


@dataclass(frozen=True)
class Config:
    """Everything a build needs to know besides the notes themselves."""

    source: Path = Path("source_notes")
    output: Path = Path("build")
    deck: str | None = None  # replaces each file's `# Title`; front matter `deck:` wins
    namespace: str | None = None  # seeds GUIDs and deck ids; defaults to the deck name's slug
    allow_html: bool = False  # raw HTML in notes is shown as text unless this is true
    code_language: str | None = None  # pygments lexer for fences with no language
    plot_format: str = "svg"
    math: str = "mathjax"  # or "svg": formulas drawn as pictures at build time
    release_tags: str = "v*"  # the git tags (a glob) that are releases, for notes' times


_TYPES: dict[str, tuple[type, ...]] = {
    "source": (str,),
    "output": (str,),
    "deck": (str,),
    "namespace": (str,),
    "allow_html": (bool,),
    "code_language": (str,),
    "plot_format": (str,),
    "math": (str,),
    "release_tags": (str,),
}
_CHOICES = {"plot_format": ("svg", "png"), "math": ("mathjax", "svg")}


def find_project(start: Path) -> Path:
    """The project folder for a command run in `start`, found as git and ruff find theirs: the
    nearest folder upward holding ankigen.toml or a pyproject.toml with [tool.ankigen], else the
    top of the git repository, else `start` itself."""
    start = start.absolute()
    for folder in (start, *start.parents):
        if (folder / "ankigen.toml").is_file() or _has_our_table(folder / "pyproject.toml"):
            return folder
    from .git import run_git

    top = run_git(start, "rev-parse", "--show-toplevel")
    return Path(top.strip()) if top else start


def _has_our_table(path: Path) -> bool:
    """Whether `path` is a pyproject.toml with [tool.ankigen]; when it is not valid TOML, whether
    it seems to have one (so that its error is reported, not passed by)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    try:
        tool = tomllib.loads(text).get("tool")
        return isinstance(tool, dict) and "ankigen" in tool
    except tomllib.TOMLDecodeError:
        return re.search(r"^\s*\[\s*tool\s*\.\s*ankigen\b", text, re.MULTILINE) is not None


def load_config(root: Path, diagnostics: Diagnostics) -> Config:
    """Read the first config file found in `root`; report every bad key, keep the defaults.

    The notes and output folders must not lead out of the project through links: a pull
    request could commit such links to have notes read from, or files written to, elsewhere.
    """
    config = Config()
    for name in CONFIG_FILES:
        path = root / name
        if path.is_file():
            config = _read(path, shown(path), diagnostics, pyproject=name == "pyproject.toml")
            break
    _check_folders(root, config, diagnostics)
    return config


def seen_from_here(config: Config, root: Path) -> Config:
    """`config` of the project in `root`, its folders made relative to the working folder."""
    return replace(config, source=here(root / config.source), output=here(root / config.output))


def here(path: Path) -> Path:
    """`path` relative to the working folder, through `..` when outside it (as git shows it)."""
    return Path(os.path.relpath(path.absolute()))


def shown(path: Path) -> str:
    """How a path of the project is shown in messages: relative to the working folder."""
    return here(path).as_posix()


# Folders ankigen writes below the output folder; they must be real folders, not links.
_OWN_FOLDERS = (".cache", ".cache/media", ".cache/pictures", "preview")


def _check_folders(root: Path, config: Config, diagnostics: Diagnostics) -> None:
    project = root.resolve()
    for folder in (config.source, config.output):
        where = root / folder
        if not where.resolve().is_relative_to(project):  # before the first write too
            message = "leads outside the project through a link; use a folder inside it"
            diagnostics.error(Location(shown(where)), message)
    from .git import tracked_files

    if tracked := tracked_files(root, config.output):  # a pull request's planted files
        message = f"git tracks {len(tracked)} file(s) here; ankigen ignores and replaces them"
        diagnostics.warning(Location(shown(root / config.output)), message)
    for name in _OWN_FOLDERS:
        where = root / config.output / name
        if where.is_symlink():
            message = "is a link, not a folder of ankigen's: delete it"
            diagnostics.error(Location(shown(where)), message)


def _read(path: Path, display: str, diagnostics: Diagnostics, pyproject: bool) -> Config:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        diagnostics.error(Location(display), "file is not UTF-8 text")
        return Config()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, col, message = _toml_problem(exc, text)
        diagnostics.error(Location(display, line, col), f"invalid TOML: {message}")
        return Config()
    table: Any = data.get("tool", {}).get("ankigen", {}) if pyproject else data
    if not isinstance(table, dict):
        diagnostics.error(Location(display), "[tool.ankigen] must be a table")
        return Config()
    known = {f.name for f in fields(Config)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        where = Location(display, _line_of_key(text, key), 1)
        if key not in known:
            diagnostics.error(where, f"unknown setting {key!r}; known: {', '.join(sorted(known))}")
        elif not isinstance(value, _TYPES[key]):
            expected = " or ".join(t.__name__ for t in _TYPES[key])
            diagnostics.error(where, f"setting {key!r} must be a {expected}")
        elif key in _CHOICES and value not in _CHOICES[key]:
            diagnostics.error(where, f"setting {key!r} must be one of {', '.join(_CHOICES[key])}")
        elif key in ("source", "output") and (
            Path(str(value)).is_absolute() or ".." in Path(str(value)).parts
        ):
            diagnostics.error(where, f"setting {key!r} must be a folder inside the project")
        else:
            values[key] = Path(str(value)) if key in ("source", "output") else value
    return replace(Config(), **values)


def _toml_problem(exc: tomllib.TOMLDecodeError, text: str) -> tuple[int, int, str]:
    """Line, column and message of a TOML syntax error.

    Python 3.14 gives them as attributes; before it, only inside the message, as "(at line 2,
    column 6)" or "(at end of document)".
    """
    line, column, message = (getattr(exc, name, None) for name in ("lineno", "colno", "msg"))
    if isinstance(line, int) and isinstance(column, int) and isinstance(message, str):
        return line, column, message
    shown = str(exc)
    if match := re.fullmatch(r"(.*) \(at line (\d+), column (\d+)\)", shown, re.DOTALL):
        return int(match[2]), int(match[3]), match[1]
    lines = text.split("\n")
    return len(lines), len(lines[-1]) + 1, shown.removesuffix(" (at end of document)")


def _line_of_key(text: str, key: str) -> int:
    match = re.search(rf"^\s*{re.escape(key)}\s*=", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 1
