"""`plot function`: a formula in x (and its derivative) plotted over a range.

This module registers the kind: it checks the parameters (trying the formula's costly work once,
under a deadline), writes the alt text and draws the plot with the formula typeset above it.
`expression` parses the formula safely and evaluates it.
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING

import yaml

from ankigen.diagrams.expression import (
    MAX_LENGTH,
    FormulaError,
    analyse,
    samples,
    somewhere_finite,
    values,
)
from ankigen.diagrams.model import Params, register
from ankigen.diagrams.params import Block, shown

if TYPE_CHECKING:
    import numpy as np
    import sympy  # type: ignore[import-untyped, unused-ignore]
    from matplotlib.figure import Figure

RENDERER_VERSION = 2  # 2: labels of 8 points at least
DEADLINE = 5.0  # seconds to parse, simplify, differentiate, compile and sample one formula
LIMIT = 1e6
FORMULA_SIZE = 10.0  # points
SMALLEST_SIZE = 8.0
DEFAULT_RANGE = (-5.0, 5.0)


# --- parameters --------------------------------------------------------------------------------


def check(block: Block, root: yaml.Node, fields: dict[str, yaml.Node]) -> Params:
    """Check `expr` (parsed by sympy from whitelisted text), `range` and `derivative`."""
    span: list[float] | None = list(DEFAULT_RANGE)
    if "range" in fields:
        span = _range(block, fields["range"])
    derivative: bool | None = False
    if "derivative" in fields:
        derivative = block.flag(fields["derivative"], "derivative")
    text = None
    if "expr" not in fields:
        block.missing(root, "expr (a formula in x, such as 1/(1+exp(-x)))")
    else:
        node = fields["expr"]
        text = block.text(node, "expr", MAX_LENGTH)
        if text is not None and isinstance(node, yaml.ScalarNode):
            refused = bounded_trial(text, bool(derivative), tuple(span) if span else None)
            if refused is not None:
                block.fail_in(node, refused[1], f"expr: {refused[0]}")
    return {"expr": text, "range": span, "derivative": derivative}


@functools.lru_cache(maxsize=512)
def bounded_trial(
    text: str, derivative: bool, span: tuple[float, float] | None
) -> tuple[str, int] | None:
    """Why the formula is refused (message, offset), or None; its costly work under a deadline.

    Drawing repeats this work, so a formula that passes here is drawn in about the same time.
    """
    from ankigen.workers import ChildFailed, DeadlineExceeded, call_with_deadline

    try:
        refusal: tuple[str, int] | None = call_with_deadline(
            _trial, (text, derivative, span), DEADLINE
        )
        return refusal
    except DeadlineExceeded:
        reason = f"over {DEADLINE:g} s"
    except ChildFailed as err:
        reason = str(err)
    return f"the formula is too costly to evaluate and draw ({reason}); simplify it", 0


def _trial(argument: tuple[str, bool, tuple[float, float] | None]) -> tuple[str, int] | None:
    """What `bounded_trial` runs in the child: everything sympy and numpy do for a drawing."""
    import sympy

    text, derivative, span = argument
    try:
        expr, slope = analyse(text, derivative)
        for e in (expr, slope) if slope is not None else (expr,):
            _ = (str(e), sympy.latex(e))  # the alt text and the typeset formula
            if span is not None and e is expr and not somewhere_finite(e, list(span)):
                raise FormulaError(
                    f"the formula has no finite value for x from "
                    f"{shown(span[0])} to {shown(span[1])}"
                )
            if span is not None:
                values(e, samples({"range": list(span)}))
    except FormulaError as err:
        return str(err), err.offset
    except Exception as err:  # sympy and numpy raise many kinds on extreme values
        return f"the formula cannot be evaluated ({type(err).__name__}: {err})"[:300], 0
    return None


def _range(block: Block, node: yaml.Node) -> list[float] | None:
    """Read `[from, to]` with from < to."""
    items = block.sequence(node, "range", 2, 2)
    if items is None:
        return None
    low = block.within(items[0], "range: from", -LIMIT, LIMIT)
    high = block.within(items[1], "range: to", -LIMIT, LIMIT)
    if low is None or high is None:
        return None
    if low == high:
        block.fail(node, f"range [{items[0].value}, {items[1].value}] has zero width")
        return None
    if low > high:
        block.fail(
            node,
            f"range goes from {items[0].value} down to {items[1].value}; "
            f"write [{items[1].value}, {items[0].value}]",
        )
        return None
    return [low, high]


# --- alt text and picture ----------------------------------------------------------------------


def describe(params: Params) -> str:
    """Give the formula and its derivative as sympy prints them."""
    expr, derivative = analyse(params["expr"], params["derivative"])
    low, high = params["range"]
    text = f"Plot of f(x) = {expr} for x from {shown(low)} to {shown(high)}."
    if derivative is not None:
        text += f" Its derivative f'(x) = {derivative}."
    return text


@register(
    "function",
    version=RENDERER_VERSION,
    params=("expr", "range", "derivative"),
    check=check,
    describe=describe,
)
def render(params: Params, fig: Figure) -> None:
    """Plot f (and f') with the formula typeset above the plot."""
    import numpy as np

    from ankigen.diagrams.canvas import INK, PALETTE, SMALL, WIDTH

    expr, derivative = analyse(params["expr"], params["derivative"])
    xs = samples(params)
    curves = [("f(x)", values(expr, xs), "-")]
    if derivative is not None:
        curves.append(("f'(x)", values(derivative, xs), "--"))
    ax = fig.add_subplot()
    low, high = _view(np.concatenate([ys for _, ys, _ in curves]))
    for (label, ys, style), colour in zip(curves, PALETTE, strict=False):
        jumps = np.abs(np.diff(ys)) > 0.5 * (high - low)  # a pole or a step: do not join it
        ax.plot(
            xs,
            np.where(np.append(False, jumps), np.nan, ys),
            ls=style,
            color=colour,
            lw=1.6,
            label=label,
        )
    ax.axhline(0, color=INK, lw=0.5, alpha=0.6)
    if xs[0] < 0 < xs[-1]:
        ax.axvline(0, color=INK, lw=0.5, alpha=0.6)
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(low, high)
    ax.set_xlabel("x")
    if derivative is not None:
        ax.legend(fontsize=SMALL)
    text, size = _formula(expr, derivative, room=0.94 * WIDTH * 72)
    if text:
        fig.suptitle(text, fontsize=size)


def _view(ys: np.ndarray) -> tuple[float, float]:
    """The y range to show: all finite values, or the central 96% when poles dwarf them."""
    import numpy as np

    finite = ys[np.isfinite(ys)]
    if not finite.size:
        return -1.0, 1.0
    bottom, top = float(finite.min()), float(finite.max())
    low, high = (float(v) for v in np.percentile(finite, [2, 98]))
    if high > low and top - bottom > 20 * (high - low):
        bottom, top = low, high
    pad = 0.06 * (top - bottom) if top > bottom else max(1.0, abs(top) * 0.1)
    return bottom - pad, top + pad


def _formula(expr: sympy.Expr, derivative: sympy.Expr | None, room: float) -> tuple[str, float]:
    """The formula lines, and the font size at which they fit in `room` points.

    Each line is sympy's LaTeX in mathtext, or plain text where mathtext cannot typeset it. A
    line too wide even at the smallest size is cut short (f) or left to the legend and the alt
    text (f').
    """
    import sympy

    lines: list[tuple[str, float]] = []
    pairs = [("f(x)", expr)] + ([("f'(x)", derivative)] if derivative is not None else [])
    for name, e in pairs:
        plain = f"{name} = {e}"
        line, width = f"${name} = {sympy.latex(e)}$", _width(f"${name} = {sympy.latex(e)}$")
        if width is None:  # mathtext supports only part of LaTeX
            line, width = plain, _width(plain) or math.inf
        if width * SMALLEST_SIZE / FORMULA_SIZE > room:
            if name != "f(x)":
                continue
            fits = room * FORMULA_SIZE / SMALLEST_SIZE
            keep = int(len(plain) * fits / (_width(plain) or math.inf))
            line, width = plain[: max(keep - 1, 1)] + "…", fits
        lines.append((line, width))
    if not lines:
        return "", FORMULA_SIZE
    size = FORMULA_SIZE * room / max(width for _, width in lines)
    return "\n".join(line for line, _ in lines), math.floor(min(FORMULA_SIZE, size) * 2) / 2


def _width(text: str) -> float | None:
    """The width in points of `text` at the formula size, or None when mathtext refuses it."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    try:
        path = TextPath((0, 0), text, size=FORMULA_SIZE, prop=FontProperties(family="DejaVu Sans"))
    except Exception:  # mathtext raises ValueError subclasses, and the odd other error
        return None
    return float(path.get_extents().width)
