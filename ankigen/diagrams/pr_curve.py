"""`plot pr-curve`: precision-recall curves with the 11-point interpolated AP (and mAP)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import yaml

from ankigen.diagrams.model import Params, register
from ankigen.diagrams.params import Block

if TYPE_CHECKING:
    from matplotlib.figure import Figure

RENDERER_VERSION = 2  # 2: labels of 8 points at least
MAX_POINTS = 10_000
MAX_SERIES = 8
RECALL_LEVELS = tuple(i / 10 for i in range(11))  # exactly the tenths, not an arange's drift


# --- maths -------------------------------------------------------------------------------------


def pr_points_from_scores(
    scores: Sequence[float], labels: Sequence[int]
) -> tuple[list[float], list[float]]:
    """Recall and precision at each distinct score used as threshold, highest threshold first.

    A detection counts as positive when its score is at least the threshold, so equal scores
    enter together. Needs at least one label 1.
    """
    positives = sum(labels)
    if positives == 0:
        raise ValueError("no positive labels: recall is undefined")
    pairs = sorted(zip(scores, labels, strict=True), key=lambda pair: -pair[0])
    recall: list[float] = []
    precision: list[float] = []
    true_pos = false_pos = 0
    for i, (score, label) in enumerate(pairs):
        true_pos += label
        false_pos += 1 - label
        if i + 1 == len(pairs) or pairs[i + 1][0] != score:
            recall.append(true_pos / positives)
            precision.append(true_pos / (true_pos + false_pos))
    return recall, precision


def interpolated_precision(
    recall: Sequence[float], precision: Sequence[float], level: float
) -> float:
    """The best precision at any recall of at least `level` (0 when recall never gets there)."""
    return max((p for r, p in zip(recall, precision, strict=True) if r >= level), default=0.0)


def eleven_point_ap(recall: Sequence[float], precision: Sequence[float]) -> float:
    """Mean of the interpolated precisions at recall 0, 0.1, ..., 1 (PASCAL VOC 2007 AP)."""
    return math.fsum(interpolated_precision(recall, precision, r) for r in RECALL_LEVELS) / 11


def curve(series: Params) -> tuple[list[float], list[float]]:
    """The recall and precision points of one normalised series."""
    if "scores" in series:
        return pr_points_from_scores(series["scores"], series["labels"])
    return list(series["recall"]), list(series["precision"])


# --- parameters --------------------------------------------------------------------------------

_SOURCES = ("scores", "labels", "recall", "precision")


def check(block: Block, root: yaml.Node, fields: dict[str, yaml.Node]) -> Params:
    """Check one series given at the top level, or several under `series:`."""
    if "series" not in fields:
        return {"series": [_series(block, root, fields, None)]}
    for name in _SOURCES:
        if name in fields:
            block.fail(
                fields[name],
                f"{name} is given both at the top level and with series; "
                "put every curve under series",
            )
    pairs = block.mapping(fields["series"], "series")
    if len(pairs) > MAX_SERIES:
        block.fail(fields["series"], f"series has {len(pairs)} curves; at most {MAX_SERIES}")
    if not pairs and isinstance(fields["series"], yaml.MappingNode):
        block.fail(fields["series"], "series is empty; give `name:` and its scores and labels")
    out = []
    for key, node in pairs[:MAX_SERIES]:
        where = f"series {key.value!r}"
        series_fields = block.fields(node, _SOURCES, where)
        if isinstance(node, yaml.MappingNode):
            out.append(_series(block, node, series_fields, key.value))
    return {"series": out}


def _series(block: Block, at: yaml.Node, fields: dict[str, yaml.Node], name: str | None) -> Params:
    """Check either scores + labels or recall + precision of one curve."""
    where = f"series {name!r}: " if name is not None else ""
    has_scores = "scores" in fields or "labels" in fields
    has_points = "recall" in fields or "precision" in fields
    if has_scores and has_points:
        given = fields.get("recall") or fields["precision"]
        block.fail(given, f"{where}give scores and labels, or recall and precision, not both")
        return {"name": name}
    if not has_scores and not has_points:
        block.missing(at, f"{where}scores and labels, or recall and precision")
        return {"name": name}
    first, second = ("scores", "labels") if has_scores else ("recall", "precision")
    if first not in fields or second not in fields:
        block.missing(
            fields.get(first) or fields[second],
            f"{where}{second if first in fields else first} (to go with "
            f"{first if first in fields else second})",
        )
        return {"name": name}
    a = block.numbers(fields[first], where + first, 1, MAX_POINTS, 0.0, 1.0)
    b = (
        _labels(block, fields[second], where)
        if has_scores
        else block.numbers(fields[second], where + second, 1, MAX_POINTS, 0.0, 1.0)
    )
    if a is not None and b is not None and len(a) != len(b):
        block.fail(fields[second], f"{where}{second} has {len(b)} items but {first} has {len(a)}")
    if has_scores and b is not None and not any(b):
        block.fail(fields[second], f"{where}labels has no 1: with no positive, recall is undefined")
    return {"name": name, first: a, second: b}


def _labels(block: Block, node: yaml.Node, where: str) -> list[int] | None:
    """Read 0/1 labels; every other item is reported."""
    items = block.sequence(node, where + "labels", 1, MAX_POINTS)
    if items is None:
        return None
    labels: list[int] | None = []
    for i, item in enumerate(items, 1):
        value = block.number(item, f"{where}labels: item {i}")
        if value is not None and value not in (0, 1):
            block.fail(item, f"{where}labels: item {i} ({item.value}) should be 0 or 1")
            value = None
        if value is None or labels is None:
            labels = None
        else:
            labels.append(int(value))
    return labels


# --- alt text and picture ----------------------------------------------------------------------


def _scores(params: Params) -> list[tuple[Any, float]]:
    return [(s["name"], eleven_point_ap(*curve(s))) for s in params["series"]]


def describe(params: Params) -> str:
    """Give each curve's 11-point AP, and the mAP when there are several, to three decimals."""
    aps = _scores(params)
    if len(aps) == 1:
        return f"Precision-recall curve with 11-point interpolated AP {aps[0][1]:.3f}."
    parts = "; ".join(f"{name}: AP {ap:.3f}" for name, ap in aps)
    mean = math.fsum(ap for _, ap in aps) / len(aps)
    return f"Precision-recall curves with 11-point interpolated AP. {parts}. mAP {mean:.3f}."


@register(
    "pr-curve",
    version=RENDERER_VERSION,
    params=(*_SOURCES, "series"),
    check=check,
    describe=describe,
)
def render(params: Params, fig: Figure) -> None:
    """Draw each curve, its 11 interpolated precisions, and the AP (and mAP) in the legend."""
    from ankigen.diagrams.canvas import PALETTE, SMALL

    ax = fig.add_subplot()
    aps = []
    for i, series in enumerate(params["series"]):
        colour = PALETTE[i % len(PALETTE)]
        recall, precision = curve(series)
        ap = eleven_point_ap(recall, precision)
        aps.append(ap)
        points = sorted(zip(recall, precision, strict=True), key=lambda p: (p[0], -p[1]))
        label = f"{series['name']}: AP {ap:.3f}" if series["name"] is not None else f"AP {ap:.3f}"
        ax.plot(
            [p[0] for p in points],
            [p[1] for p in points],
            color=colour,
            lw=1.4,
            marker="o",
            ms=2.5,
            label=label,
            zorder=3,
        )
        levels = [interpolated_precision(recall, precision, r) for r in RECALL_LEVELS]
        ax.plot(
            RECALL_LEVELS,
            levels,
            color=colour,
            ls="none",
            marker="s",
            ms=3.5,
            mfc="white",
            mew=0.9,
            zorder=4,
        )
    ax.plot(
        [],
        [],
        color="#555555",
        ls="none",
        marker="s",
        ms=3.5,
        mfc="white",
        label="11-point interpolated precision",
    )
    if len(aps) > 1:
        ax.set_title(f"mAP {math.fsum(aps) / len(aps):.3f}", fontsize=9)
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.05)
    ax.set_xticks([i / 5 for i in range(6)])
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.legend(loc="lower left", fontsize=SMALL)
