"""A note file's front matter: the YAML block at its top that sets deck, tags, namespace and code
language for all its cards, read into plain values with its problems at their lines."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

from .errors import Diagnostic, Location
from .storable import unstorable

KEYS = {
    "deck": "a string",
    "tags": "a list of tags",
    "namespace": "a string",
    "code_language": "a string",
}

At = Callable[[int, int], Location]  # (0-based line, column) in the note file -> its Location


@dataclass(frozen=True)
class FrontMatter:
    """The settings a file's front matter makes, each None (or empty) when not set or invalid."""

    deck: str | None = None
    deck_line: int = 1  # 0-based line of `deck:` in the file (the front matter starts at 1)
    tags: tuple[str, ...] = ()
    namespace: str | None = None
    code_language: str | None = None
    problems: tuple[Diagnostic, ...] = ()


def read_front_matter(content: str | None, at: At) -> FrontMatter:
    """The front matter's settings; `content` is its YAML, None for a file without one."""
    if content is None:
        return FrontMatter()
    problems: list[Diagnostic] = []

    def error(line: int, col: int, message: str) -> None:
        problems.append(Diagnostic(at(line, col), "error", message))

    meta = _values(content, error)
    deck = meta.get("deck")
    return FrontMatter(
        deck=deck,
        deck_line=key_lines(content).get("deck", 1) if deck else 1,
        tags=tuple(meta.get("tags", ())),
        namespace=meta.get("namespace"),
        code_language=meta.get("code_language"),
        problems=tuple(problems),
    )


def _values(content: str, error: Callable[[int, int, str], None]) -> dict[str, Any]:
    try:
        data = yaml.safe_load(content) if content.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, col = (mark.line + 1, mark.column) if mark else (1, 0)
        error(line, col, f"front matter: {getattr(exc, 'problem', None) or 'invalid YAML'}")
        return {}
    except RecursionError:
        error(1, 0, "front matter: nested too deeply")
        return {}
    except ValueError:  # a number of more digits than Python converts
        digits = re.search(r"\d{4300,}", content)
        offset = digits.start() if digits else 0
        line = content.count("\n", 0, offset) + 1
        col = offset - (content.rfind("\n", 0, offset) + 1)
        error(line, col, "front matter: a number far too long")
        return {}
    if not isinstance(data, dict):
        error(1, 0, "front matter must be a mapping of keys to values")
        return {}
    meta: dict[str, Any] = {}
    lines = key_lines(content)
    for key, value in data.items():
        line = lines.get(str(key), 1)
        if key not in KEYS:
            error(line, 0, f"front matter: unknown key {key!r}; known: {', '.join(sorted(KEYS))}")
        elif key == "tags":
            tags = [value] if isinstance(value, str) else value
            if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
                error(line, 0, "front matter: `tags` must be a list of tags")
            elif (problem := unstorable("".join(tags))) is not None:
                error(line, 0, f"front matter: `tags`: {problem[1]}")
            else:
                meta["tags"] = [re.sub(r"\s+", "_", t.strip()) for t in tags]
        elif not isinstance(value, str) or not value.strip():
            error(line, 0, f"front matter: {key!r} must be {KEYS[key]}")
        elif (problem := unstorable(value)) is not None:
            error(line, 0, f"front matter: {key!r}: {problem[1]}")
        else:
            meta[key] = value.strip()
    return meta


def key_lines(content: str) -> dict[str, int]:
    """The line of each top-level `key:` in the front matter, read in one pass."""
    lines: dict[str, int] = {}
    for number, line in enumerate(content.split("\n"), start=1):
        key, colon, _ = line.partition(":")
        if colon and key.rstrip() and not line[:1].isspace():
            lines.setdefault(key.rstrip(), number)
    return lines
