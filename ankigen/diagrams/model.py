"""The records the diagrams package passes around, and the registry of plot kinds."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import yaml
    from matplotlib.figure import Figure

    from ankigen.diagrams.params import Block

DEFAULT_FORMAT = "svg"
FORMATS = ("svg", "png")
# Bumped when the shared look (canvas.py) changes, so every cached picture is drawn again.
STYLE_VERSION = 2  # 2: a 3.6 x 2.4 in canvas, text of 8 points at least

Params = dict[str, Any]
Check = Callable[["Block", "yaml.Node", "dict[str, yaml.Node]"], Params]
Describe = Callable[[Params], str]
Render = Callable[[Params, "Figure"], None]


@dataclass(frozen=True)
class Problem:
    """A mistake in a plot block, at a 0-based line and column of the block's YAML text."""

    line: int
    col: int
    message: str


@dataclass(frozen=True)
class PlotSpec:
    """A checked plot block: its kind and its normalised, JSON-serialisable parameters."""

    kind: str
    params: Params = field(hash=False)

    def cache_key(self, fmt: str = DEFAULT_FORMAT) -> str:
        """The sha256 naming what this spec draws in `fmt` (kind, parameters, renderer, style)."""
        payload = {
            "format": fmt,
            "kind": self.kind,
            "params": self.params,
            "renderer": KINDS[self.kind].version,
            "style": STYLE_VERSION,
        }
        text = json.dumps(
            payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Picture:
    """A drawn plot: file bytes, extension, alt text and optional caption."""

    data: bytes
    ext: str
    alt: str
    title: str | None


@dataclass(frozen=True)
class Kind:
    """One plot kind: its parameter names, checker, alt-text writer and renderer."""

    name: str
    version: int
    params: tuple[str, ...]
    check: Check
    describe: Describe
    render: Render


KINDS: dict[str, Kind] = {}


def register(
    name: str, *, version: int, params: tuple[str, ...], check: Check, describe: Describe
) -> Callable[[Render], Render]:
    """Register the decorated renderer as plot kind `name`; bump `version` when output changes."""

    def add(render: Render) -> Render:
        if name in KINDS:
            raise ValueError(f"plot kind {name!r} is registered twice")
        KINDS[name] = Kind(name, version, params, check, describe, render)
        return render

    return add
