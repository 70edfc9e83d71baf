"""`plot softmax`: logits beside their softmax probabilities, one series per temperature."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import yaml

from ankigen.diagrams.model import Params, register
from ankigen.diagrams.params import Block, shown

if TYPE_CHECKING:
    from matplotlib.figure import Figure

RENDERER_VERSION = 2  # 2: labels of 8 points at least
MAX_CLASSES = 20
MAX_TEMPERATURES = 5


# --- maths -------------------------------------------------------------------------------------


def softmax(logits: Sequence[float], temperature: float = 1.0) -> list[float]:
    """Softmax of logits / temperature, shifted by the largest so that exp never overflows."""
    if not logits:
        raise ValueError("softmax of no logits")
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, not {temperature}")
    scaled = [z / temperature for z in logits]
    top = max(scaled)
    weights = [math.exp(z - top) for z in scaled]  # the largest is exp(0) = 1, so the sum >= 1
    total = math.fsum(weights)
    return [w / total for w in weights]


# --- parameters --------------------------------------------------------------------------------


def check(block: Block, root: yaml.Node, fields: dict[str, yaml.Node]) -> Params:
    """Check `logits`, `temperatures` (a number or a list, default [1]) and `classes`."""
    logits = None
    if "logits" in fields:
        logits = block.numbers(fields["logits"], "logits", 1, MAX_CLASSES, -math.inf, math.inf)
    else:
        block.missing(root, "logits (a list of numbers)")
    temperatures: list[float] | None = [1.0]
    if "temperatures" in fields:
        temperatures = _temperatures(block, fields["temperatures"])
    classes = None
    if "classes" in fields:
        node = fields["classes"]
        items = block.sequence(node, "classes", 1, MAX_CLASSES)
        names = [
            block.text(item, f"classes: item {i}", 30) for i, item in enumerate(items or [], 1)
        ]
        classes = [name for name in names if name is not None]
        if logits is not None and items is not None and len(items) != len(logits):
            block.fail(node, f"classes has {len(items)} names but logits has {len(logits)} values")
    if logits is not None and temperatures is not None:
        for t in temperatures:
            if not all(math.isfinite(z / t) for z in logits):
                block.fail(
                    fields.get("temperatures"),
                    f"logits divided by temperature {shown(t)} are too large",
                )
    return {
        "logits": logits,
        "temperatures": temperatures,
        "classes": classes or [str(i) for i in range(1, len(logits or []) + 1)],
    }


def _temperatures(block: Block, node: yaml.Node) -> list[float] | None:
    """Read one temperature or a list of them, each greater than 0."""
    items = (
        [node]
        if isinstance(node, yaml.ScalarNode)
        else block.sequence(node, "temperatures", 1, MAX_TEMPERATURES)
    )
    if items is None:
        return None
    out: list[float] | None = []
    for i, item in enumerate(items, 1):
        value = block.number(item, f"temperatures: item {i}")
        if value is not None and value <= 0:
            block.fail(item, f"temperatures: item {i} ({item.value}) should be greater than 0")
            value = None
        out = None if value is None or out is None else [*out, value]
    return out


# --- alt text and picture ----------------------------------------------------------------------


def describe(params: Params) -> str:
    """Give the probabilities to three decimals for each temperature."""
    logits, classes = params["logits"], params["classes"]
    parts = []
    for t in params["temperatures"]:
        probs = softmax(logits, t)
        pairs = ", ".join(f"{name} {p:.3f}" for name, p in zip(classes, probs, strict=True))
        parts.append(f"at temperature {shown(t)}: {pairs}")
    given = ", ".join(f"{name} {shown(z)}" for name, z in zip(classes, logits, strict=True))
    return f"Softmax of the logits {given}. Probabilities {'; '.join(parts)}."


@register(
    "softmax",
    version=RENDERER_VERSION,
    params=("logits", "temperatures", "classes"),
    check=check,
    describe=describe,
)
def render(params: Params, fig: Figure) -> None:
    """Draw the logits as bars on the left and the probabilities per temperature on the right."""
    from ankigen.diagrams.canvas import INK, PALETTE, SMALL

    logits, classes, temps = params["logits"], params["classes"], params["temperatures"]
    positions = range(len(logits))
    left, right = fig.subplots(1, 2, width_ratios=(1, 1.4))
    left.bar(positions, logits, color="#7f7f7f", width=0.6)
    left.axhline(0, color=INK, lw=0.6)
    left.set_title("logits", fontsize=9)
    width = 0.8 / len(temps)
    label_bars = len(logits) * len(temps) <= 8
    for j, t in enumerate(temps):
        probs = softmax(logits, t)
        offsets = [p - 0.4 + width * (j + 0.5) for p in positions]
        bars = right.bar(
            offsets,
            probs,
            width=width * 0.92,
            color=PALETTE[j % len(PALETTE)],
            label=f"T = {shown(t)}",
        )
        if label_bars:
            right.bar_label(bars, labels=[f"{p:.2f}" for p in probs], fontsize=SMALL, padding=1)
    right.set_ylim(0, 1.08)
    right.set_title("softmax probabilities", fontsize=9)
    if len(temps) > 1 or temps[0] != 1:
        right.legend(fontsize=SMALL, loc="upper right")
    for ax in (left, right):
        ax.set_xticks(
            list(positions), classes, fontsize=SMALL, rotation=45 if len(logits) > 6 else 0
        )
        ax.grid(axis="x", visible=False)
