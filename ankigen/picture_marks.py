"""Pictures in a card's HTML before they are drawn: render writes a marker in the place of each
plot and each formula drawn as SVG, and `fill` writes there, once the picture is drawn, its
HTML, or when it cannot be drawn what stands instead (nothing for a plot, the TeX for MathJax
for a formula).

A marker is a number between NUL characters. markdown-it replaces every NUL of a note with
U+FFFD, so nothing else in the renderer's HTML can be taken for a marker.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from .drawing import Drawing, Result
from .model import MediaFile, media_file

_MARKER = re.compile("\x00([0-9]+)\x00")


class Marked(NamedTuple):
    """A picture marked in a card's HTML: the key of the job that draws it, and for a formula
    its TeX as written, whether it is a display formula, and whether it stands as a block."""

    key: str
    formula: tuple[str, bool, bool] | None = None  # None: a plot


def mark(marked: list[Marked], picture: Marked) -> str:
    """The marker of `picture`, added to the card's `marked` pictures."""
    marked.append(picture)
    return f"\x00{len(marked) - 1}\x00"


def fill(
    text: str, marked: Sequence[Marked], drawn: Mapping[str, Result], media: dict[str, MediaFile]
) -> str:
    """`text` with each marker replaced by its picture's HTML, the picture `drawn` (by job key)
    now; the media files that HTML refers to are added to `media`."""
    if "\x00" not in text:
        return text
    return _MARKER.sub(lambda m: _picture(marked[int(m.group(1))], drawn, media), text)


def _picture(picture: Marked, drawn: Mapping[str, Result], media: dict[str, MediaFile]) -> str:
    result = drawn[picture.key]
    if picture.formula is None:
        return "" if isinstance(result, str) else _figure(result, media)
    tex, display, block = picture.formula
    if isinstance(result, str):
        return mathjax(tex, display, block)
    from .mathsvg import image_tag

    made = media_file(result.data, result.meta["ext"])
    media[made.name] = made
    return image_tag(made.name, tex, result.meta, block)


def mathjax(tex: str, display: bool, block: bool) -> str:
    """A formula left to MathJax: its TeX between MathJax's delimiters."""
    escaped = html.escape(tex.strip() if block else tex, quote=False)
    if not display:
        return "\\(" + escaped + "\\)"
    math = "\\[" + escaped + "\\]"
    return f'<div class="math-display">{math}</div>\n' if block else math


def _figure(picture: Drawing, media: dict[str, MediaFile]) -> str:
    made = media_file(picture.data, picture.meta["ext"])
    media[made.name] = made
    title = picture.meta.get("title")
    caption = f"<figcaption>{html.escape(title)}</figcaption>" if title else ""
    alt = html.escape(picture.meta["alt"])
    return f'<figure class="ankigen-plot"><img src="{made.name}" alt="{alt}">{caption}</figure>\n'
