"""`plot nms`: greedy non-maximum suppression per class, drawn as kept and suppressed boxes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ankigen.diagrams.model import Params, register
from ankigen.diagrams.params import Block, shown

if TYPE_CHECKING:
    import yaml
    from matplotlib.figure import Figure

RENDERER_VERSION = 2  # 2: labels of 8 points at least
MAX_BOXES = 60
LIMIT = 1e6  # coordinates beyond this are a typo, and would make areas lose precision
Box = Sequence[float]  # x1, y1, x2, y2 with x1 < x2 and y1 < y2


# --- maths -------------------------------------------------------------------------------------


def iou(a: Box, b: Box) -> float:
    """Area of intersection over area of union of two boxes with continuous coordinates."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    inter = max(0.0, width) * max(0.0, height)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def greedy_nms(
    boxes: Sequence[Box],
    scores: Sequence[float],
    classes: Sequence[Any] | None,
    threshold: float,
) -> tuple[list[int], dict[int, tuple[int, float]]]:
    """Greedy NMS per class: kept indices (best first) and suppressed index -> (suppressor, IoU).

    Take the best remaining box (highest score; equal scores in input order), keep it, and remove
    every remaining box of its class whose IoU with it is greater than `threshold`; repeat.
    """
    order = sorted(range(len(boxes)), key=lambda i: -scores[i])  # stable: ties keep input order
    kept: list[int] = []
    suppressed: dict[int, tuple[int, float]] = {}
    for rank, best in enumerate(order):
        if best in suppressed:
            continue
        kept.append(best)
        for other in order[rank + 1 :]:
            if other in suppressed or (classes is not None and classes[other] != classes[best]):
                continue
            overlap = iou(boxes[best], boxes[other])
            if overlap > threshold:
                suppressed[other] = (best, overlap)
    return kept, suppressed


# --- parameters --------------------------------------------------------------------------------


def check(block: Block, root: yaml.Node, fields: dict[str, yaml.Node]) -> Params:
    """Check `boxes` and `iou_threshold`; return them as plain lists and numbers."""
    threshold: float | None = 0.5
    if "iou_threshold" in fields:
        threshold = block.within(fields["iou_threshold"], "iou_threshold", 0.0, 1.0)
    rows: list[yaml.Node] = []
    if "boxes" in fields:
        rows = block.sequence(fields["boxes"], "boxes", 1, MAX_BOXES) or []
    else:
        block.missing(root, "boxes (rows of x1, y1, x2, y2, score, optional class)")
    read = [_row(block, row, number) for number, row in enumerate(rows, 1)]
    with_class = [i for i, got in enumerate(read) if got is not None and got[2] is not None]
    for i, got in enumerate(read):
        if with_class and got is not None and got[2] is None:
            block.fail(
                rows[i],
                f"box {i + 1} has no class but box {with_class[0] + 1} has one; "
                "give every box a class or none",
            )
    good = [got for got in read if got is not None]
    boxes = [got[0] for got in good]
    scores = [got[1] for got in good]
    classes = [got[2] for got in good] if with_class else None
    return {
        "boxes": boxes,
        "scores": scores,
        "classes": classes,
        "iou_threshold": threshold,
    }


def _row(block: Block, row: yaml.Node, number: int) -> tuple[list[float], float, Any] | None:
    """Read one `[x1, y1, x2, y2, score, class?]` row."""
    items = block.sequence(row, f"box {number}", 0, 99)
    if items is None:
        return None
    if len(items) not in (5, 6):
        block.fail(
            row,
            f"box {number} has {len(items)} values; expected "
            "[x1, y1, x2, y2, score] or [x1, y1, x2, y2, score, class]",
        )
        return None
    names = ("x1", "y1", "x2", "y2")
    coords = [
        block.within(node, f"box {number}: {name}", -LIMIT, LIMIT)
        for name, node in zip(names, items, strict=False)
    ]
    score = block.within(items[4], f"box {number}: score", 0.0, 1.0)
    cls = block.text(items[5], f"box {number}: class", 40) if len(items) == 6 else None
    ok = score is not None and (len(items) == 5 or cls is not None)
    for low, high, axis in ((0, 2, "width"), (1, 3, "height")):
        a, b = coords[low], coords[high]
        if a is None or b is None:
            ok = False
        elif b <= a:
            relation = "equals" if b == a else "is less than"
            block.fail(
                items[high],
                f"box {number}: {names[high]} ({items[high].value}) {relation} "
                f"{names[low]} ({items[low].value}), so the box has no {axis}",
            )
            ok = False
    if not ok:
        return None
    return [c for c in coords if c is not None], score or 0.0, cls


# --- alt text and picture ----------------------------------------------------------------------


def describe(params: Params) -> str:
    """Say which boxes NMS kept and which box removed each other one, with the IoU."""
    boxes, scores, classes = params["boxes"], params["scores"], params["classes"]
    threshold = params["iou_threshold"]
    kept, suppressed = greedy_nms(boxes, scores, classes, threshold)

    def name(i: int) -> str:
        cls = f"class {classes[i]}, " if classes is not None else ""
        return f"box {i + 1} ({cls}score {shown(scores[i])})"

    kept_text = ", ".join(name(i) for i in sorted(kept))
    gone = [
        f"{name(i)} by box {by + 1} with IoU {overlap:.3f}"
        for i, (by, overlap) in sorted(suppressed.items())
    ]
    gone_text = "; ".join(gone) if gone else "none"
    per_class = " per class" if classes is not None else ""
    return (
        f"Non-maximum suppression{per_class} at IoU threshold {shown(threshold)} "
        f"on {len(boxes)} boxes. Kept: {kept_text}. Suppressed: {gone_text}."
    )


@register(
    "nms",
    version=RENDERER_VERSION,
    params=("boxes", "iou_threshold"),
    check=check,
    describe=describe,
)
def render(params: Params, fig: Figure) -> None:
    """Draw kept boxes solid with their scores and suppressed ones faded with their IoU."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    from ankigen.diagrams.canvas import INK, PALETTE, SMALL

    boxes, scores, classes = params["boxes"], params["scores"], params["classes"]
    _, suppressed = greedy_nms(boxes, scores, classes, params["iou_threshold"])
    names = sorted(set(classes)) if classes is not None else [None]
    colour = {cls: PALETTE[i % len(PALETTE)] for i, cls in enumerate(names)}
    ax = fig.add_subplot()
    for i, (x1, y1, x2, y2) in enumerate(boxes):
        cls = classes[i] if classes is not None else None
        if i in suppressed:
            by, overlap = suppressed[i]
            ax.add_patch(
                Rectangle(
                    (x1, y1),
                    x2 - x1,
                    y2 - y1,
                    fill=False,
                    lw=1.0,
                    ls="--",
                    ec=colour[cls],
                    alpha=0.5,
                    zorder=2,
                )
            )
            ax.text(
                x1,
                y2,
                f" {i + 1}: {scores[i]:.2f}, IoU {overlap:.2f} with {by + 1}",
                fontsize=SMALL,
                color=INK,
                va="bottom",
                ha="left",
                zorder=3,
                bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.7},
            )
        else:
            ax.add_patch(
                Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, lw=1.8, ec=colour[cls], zorder=4)
            )
            ax.text(
                x1,
                y1,
                f"{i + 1}: {scores[i]:.2f}",
                fontsize=SMALL,
                color="white",
                va="bottom",
                ha="left",
                zorder=5,
                bbox={"boxstyle": "square,pad=0.15", "fc": colour[cls], "ec": "none"},
            )
    xs = [v for box in boxes for v in (box[0], box[2])]
    ys = [v for box in boxes for v in (box[1], box[3])]
    pad_x, pad_y = 0.08 * (max(xs) - min(xs)), 0.12 * (max(ys) - min(ys))
    ax.set_xlim(min(xs) - pad_x, max(xs) + pad_x)
    ax.set_ylim(max(ys) + pad_y, min(ys) - pad_y)  # image coordinates: y grows downwards
    ax.set_aspect("equal", adjustable="box")
    ax.xaxis.tick_top()
    ax.tick_params(labelsize=SMALL)
    legend = [
        Line2D([], [], color=INK, lw=1.8, label="kept"),
        Line2D(
            [],
            [],
            color=INK,
            lw=1.0,
            ls="--",
            alpha=0.5,
            label=f"suppressed (IoU > {shown(params['iou_threshold'])})",
        ),
    ]
    if classes is not None and len(names) <= len(PALETTE):  # beyond that, colours repeat
        legend += [Line2D([], [], color=colour[c], lw=4, label=f"class {c}") for c in names]
    ax.legend(
        handles=legend,
        fontsize=SMALL,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.02),  # below the boxes, which need the width of a narrow card
        ncol=2,
        frameon=False,
    )
