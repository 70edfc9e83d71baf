"""Formulas drawn as SVG pictures with matplotlib's mathtext, for `math = "svg"`.

Each picture is sized in `em` so it follows the card's font size, and carries its depth below
the baseline so an inline formula sits on the line like text. Glyphs are black paths on a
transparent background; the note type's CSS inverts them in night mode.
"""

from __future__ import annotations

import hashlib
import io
import re
from typing import Any

from .drawing import Drawing, Job

RENDERER_VERSION = 1
FONT_SIZE = 10.0  # points; every size is stored relative to it, in em
DISPLAY_SCALE = 1.2  # display formulas are drawn a little larger, as TeX does
_PRECISION_DPI = 720  # mathtext rounds its metrics to pixels: measure at a fine resolution
_STYLE: dict[Any, Any] = {  # matplotlib types its keys as a closed list of literals
    "mathtext.fontset": "cm",
    "svg.fonttype": "path",
    "svg.hashsalt": "ankigen",
    "svg.id": None,
    "path.simplify": False,
}


def formula_job(tex: str, display: bool) -> Job:
    """The job that draws one formula; the key covers the text, mode and renderer."""
    import matplotlib

    text = f"{RENDERER_VERSION}\x1f{matplotlib.__version__}\x1f{display}\x1f{tex}"
    return Job(hashlib.sha256(text.encode()).hexdigest(), draw_formula, (tex, display))


def draw_formula(argument: tuple[str, bool]) -> Drawing:
    """An SVG of the formula; ValueError when mathtext cannot typeset it."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.mathtext import MathTextParser

    tex, display = argument
    if not tex.strip():
        raise ValueError("empty formula")
    size = FONT_SIZE * (DISPLAY_SCALE if display else 1.0)
    source = f"${tex.strip()}$"
    with matplotlib.rc_context(_STYLE):
        prop = FontProperties(size=size)
        try:
            metrics = MathTextParser("path").parse(source, dpi=_PRECISION_DPI, prop=prop)
        except (ValueError, RuntimeError) as exc:
            lines = str(exc).strip().splitlines() or ["cannot draw it"]
            reason = re.sub(r"^\w+(Exception|Error): ", "", lines[-1]).split(", found")[0]
            raise ValueError(f"mathtext: {reason}") from exc
        scale = 72 / _PRECISION_DPI
        width, height, depth = (
            metrics.width * scale,
            metrics.height * scale,
            metrics.depth * scale,
        )
        figure = Figure(figsize=(width / 72, height / 72))
        figure.text(0, depth / height, source, fontproperties=prop, color="black")
        buffer = io.BytesIO()
        figure.savefig(
            buffer, format="svg", dpi=72, transparent=True, metadata={"Date": None, "Creator": None}
        )
    return Drawing(
        buffer.getvalue(),
        {
            "ext": ".svg",
            "width": round(float(width) / FONT_SIZE, 3),
            "height": round(float(height) / FONT_SIZE, 3),
            "depth": round(float(depth) / FONT_SIZE, 3),
        },
    )


def image_tag(name: str, tex: str, meta: dict[str, Any], display: bool) -> str:
    """The <img> of a drawn formula, on the text's baseline, with its TeX as alt text."""
    import html

    style = f"height:{meta['height']}em;vertical-align:-{meta['depth']}em"
    alt = html.escape(tex.strip())
    tag = f'<img class="ankigen-math" src="{name}" alt="{alt}" style="{style}">'
    return f'<div class="math-display">{tag}</div>\n' if display else tag
