"""Plot blocks in notes: YAML parameters checked with located problems, drawn with matplotlib.

Importing this package loads neither matplotlib nor sympy; `draw` and the `function` kind's
checker import them when first needed. `draw` sets matplotlib's global rcParams while it runs:
draw in several processes (specs and pictures pickle), not in threads.
"""

from __future__ import annotations

import yaml

from ankigen.diagrams import function, nms, pr_curve, softmax  # noqa: F401  (registers the kinds)
from ankigen.diagrams.model import (
    DEFAULT_FORMAT,
    FORMATS,
    KINDS,
    Kind,
    Picture,
    PlotSpec,
    Problem,
    register,
)
from ankigen.diagrams.params import Block

__all__ = [
    "DEFAULT_FORMAT",
    "FORMATS",
    "KINDS",
    "Kind",
    "Picture",
    "PlotSpec",
    "Problem",
    "draw",
    "parse_plot",
    "register",
]

TITLE_LENGTH = 200


def parse_plot(kind: str, yaml_text: str) -> tuple[PlotSpec | None, list[Problem]]:
    """Check a `plot KIND` block without drawing it: a spec, or every problem found, in order."""
    entry = KINDS.get(kind)
    if entry is None:
        known = ", ".join(sorted(KINDS))
        return None, [Problem(0, 0, f"unknown plot kind {kind!r} (known kinds: {known})")]
    block = Block()
    root = block.compose(yaml_text)
    names = (*entry.params, "title")
    if root is None:
        if not block.problems:
            block.fail(None, f"plot {kind}: the block is empty; expected {', '.join(names)}")
        return None, block.problems
    fields = block.fields(root, names, f"plot {kind}")
    if not isinstance(root, yaml.MappingNode):
        return None, block.problems
    title = block.text(fields["title"], "title", TITLE_LENGTH) if "title" in fields else None
    params = entry.check(block, root, fields)
    if block.problems:
        return None, sorted(block.problems, key=lambda p: (p.line, p.col))
    return PlotSpec(kind, {**params, "title": title}), []


def draw(spec: PlotSpec, fmt: str = DEFAULT_FORMAT) -> Picture:
    """Draw a spec from `parse_plot` as SVG or PNG; the same spec always gives the same bytes."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown picture format {fmt!r} (expected one of {', '.join(FORMATS)})")
    entry = KINDS.get(spec.kind)
    if entry is None:
        raise ValueError(f"unknown plot kind {spec.kind!r}")
    from ankigen.diagrams import canvas

    alt = entry.describe(spec.params)  # first: for `function` it re-checks the formula
    data = canvas.picture(entry.render, spec.params, fmt)
    return Picture(data, "." + fmt, alt, spec.params.get("title"))
