"""The maths behind the plots (NMS, AP, softmax, formula parsing), checked without matplotlib."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ankigen.diagrams.expression import FormulaError, analyse, scan
from ankigen.diagrams.nms import greedy_nms, iou
from ankigen.diagrams.pr_curve import (
    eleven_point_ap,
    interpolated_precision,
    pr_points_from_scores,
)
from ankigen.diagrams.softmax import softmax

# --- IoU and NMS -------------------------------------------------------------------------------


def cells(box: tuple[int, int, int, int]) -> set[tuple[int, int]]:
    """The unit cells an integer box covers: areas by counting, independent of `iou`."""
    x1, y1, x2, y2 = box
    return {(x, y) for x in range(x1, x2) for y in range(y1, y2)}


def reference_iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    return len(cells(a) & cells(b)) / len(cells(a) | cells(b))


def brute_force_nms(boxes, scores, classes, threshold):
    """NMS by its definition, searched over every subset of boxes.

    Rank boxes by score (ties by position). The kept set K is the one subset with: a box is in K
    exactly when no box of K ranked above it, of its class, overlaps it with IoU > threshold.
    A removed box is removed by the best-ranked such box of K.
    """
    n = len(boxes)
    classes = classes if classes is not None else [None] * n
    rank = {i: r for r, i in enumerate(sorted(range(n), key=lambda i: (-scores[i], i)))}

    def removes(j: int, i: int) -> bool:
        return (
            rank[j] < rank[i]
            and classes[j] == classes[i]
            and reference_iou(boxes[j], boxes[i]) > threshold
        )

    solutions = [
        set(subset)
        for size in range(n + 1)
        for subset in itertools.combinations(range(n), size)
        if all((i in subset) == (not any(removes(j, i) for j in subset)) for i in range(n))
    ]
    assert len(solutions) == 1, "the definition has exactly one fixed point"
    kept = solutions[0]
    suppressed = {}
    for i in sorted(set(range(n)) - kept):
        by = min((j for j in kept if removes(j, i)), key=rank.__getitem__)
        suppressed[i] = (by, reference_iou(boxes[by], boxes[i]))
    return kept, suppressed


integer_box = st.builds(
    lambda x, y, w, h: (x, y, x + w, y + h),
    st.integers(0, 12),
    st.integers(0, 12),
    st.integers(1, 8),
    st.integers(1, 8),
)


@st.composite
def nms_cases(draw):
    n = draw(st.integers(1, 7))
    boxes = draw(st.lists(integer_box, min_size=n, max_size=n))
    scores = draw(st.lists(st.sampled_from([0.2, 0.5, 0.7, 0.9]), min_size=n, max_size=n))
    classes = draw(st.none() | st.lists(st.sampled_from("ab"), min_size=n, max_size=n))
    threshold = draw(st.sampled_from([0.0, 0.1, 0.3, 0.5, 0.7, 1.0]))
    return boxes, scores, classes, threshold


@settings(max_examples=150, deadline=None, database=None)
@given(nms_cases())
def test_greedy_nms_matches_brute_force_definition(case):
    boxes, scores, classes, threshold = case
    kept, suppressed = greedy_nms(boxes, scores, classes, threshold)
    ref_kept, ref_suppressed = brute_force_nms(boxes, scores, classes, threshold)
    assert set(kept) == ref_kept
    assert len(kept) == len(set(kept))
    assert [-scores[i] for i in kept] == sorted(-scores[i] for i in kept)  # best first
    assert suppressed == ref_suppressed


@settings(max_examples=100, deadline=None, database=None)
@given(integer_box, integer_box)
def test_iou_matches_cell_counting(a, b):
    assert iou(a, b) == reference_iou(a, b)
    assert iou(a, b) == iou(b, a)
    assert 0.0 <= iou(a, b) <= 1.0
    assert iou(a, a) == 1.0


def test_iou_by_hand_with_continuous_coordinates():
    assert iou((0, 0, 2, 2), (1, 1, 3, 3)) == pytest.approx(1 / 7)  # 1 / (4 + 4 - 1)
    assert iou((0, 0, 1, 1), (0.5, 0, 1.5, 1)) == pytest.approx(1 / 3)  # 0.5 / 1.5
    assert iou((0, 0, 1, 1), (1, 0, 2, 1)) == 0.0  # touching edges do not overlap


def test_nms_on_the_issue_example():
    boxes = [(10, 10, 60, 60), (12, 14, 62, 58), (100, 30, 150, 90)]
    kept, suppressed = greedy_nms(boxes, [0.9, 0.75, 0.8], None, 0.5)
    assert kept == [0, 2]
    # intersection 48 * 44 = 2112; union 2500 + 2200 - 2112 = 2588
    assert suppressed == {1: (0, pytest.approx(2112 / 2588))}


def test_nms_is_per_class_and_uses_strictly_greater():
    boxes = [(0, 0, 10, 10), (0, 0, 10, 10), (0, 0, 10, 5)]
    kept, suppressed = greedy_nms(boxes, [0.9, 0.8, 0.7], ["a", "b", "a"], 0.5)
    assert kept == [0, 1, 2]  # box 3 has IoU exactly 0.5 with box 1: not greater, kept
    assert suppressed == {}
    kept, suppressed = greedy_nms(boxes, [0.9, 0.8, 0.7], None, 0.49)
    assert kept == [0]
    assert suppressed == {1: (0, 1.0), 2: (0, 0.5)}


# --- precision-recall and AP -------------------------------------------------------------------


def test_eleven_point_ap_hand_worked():
    # Five detections, best first, three of them true (P = 3):
    #   score  label  TP FP  recall  precision
    #   0.9    1      1  0   1/3     1
    #   0.8    0      1  1   1/3     1/2
    #   0.7    1      2  1   2/3     2/3
    #   0.6    1      3  1   1       3/4
    #   0.5    0      3  2   1       3/5
    # Interpolated precision p(r) = best precision at recall >= r:
    #   r = 0, 0.1, 0.2, 0.3 -> 1       (1/3 >= 0.3, so the first row counts)
    #   r = 0.4, 0.5, 0.6    -> 3/4     (rows with recall 2/3 or 1: max(2/3, 3/4, 3/5))
    #   r = 0.7 ... 1.0      -> 3/4     (rows with recall 1: max(3/4, 3/5))
    # AP = (4 * 1 + 7 * 3/4) / 11 = 9.25 / 11 = 0.840909...
    recall, precision = pr_points_from_scores([0.7, 0.9, 0.5, 0.8, 0.6], [1, 1, 0, 0, 1])
    assert recall == pytest.approx([1 / 3, 1 / 3, 2 / 3, 1, 1])
    assert precision == pytest.approx([1, 1 / 2, 2 / 3, 3 / 4, 3 / 5])
    assert eleven_point_ap(recall, precision) == pytest.approx(9.25 / 11)


def test_tied_scores_enter_together():
    recall, precision = pr_points_from_scores([0.9, 0.9, 0.5], [1, 0, 1])
    assert recall == [0.5, 1.0]
    assert precision == [0.5, pytest.approx(2 / 3)]


def test_ap_from_points_counts_exact_tenths_and_zero_beyond_reach():
    # recall 0.3 reaches the level 0.3 exactly; levels 0.4 ... 1 are never reached -> 0
    assert eleven_point_ap([0.3], [0.8]) == pytest.approx(4 * 0.8 / 11)
    assert interpolated_precision([0.3], [0.8], 0.3) == 0.8
    assert interpolated_precision([0.3], [0.8], 0.4) == 0.0
    assert eleven_point_ap([1.0], [1.0]) == 1.0


def test_pr_points_need_a_positive():
    with pytest.raises(ValueError, match="no positive"):
        pr_points_from_scores([0.5, 0.4], [0, 0])


# --- softmax -----------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None, database=None)
@given(
    st.lists(st.floats(-1e4, 1e4), min_size=1, max_size=20),
    st.floats(0.01, 100.0),
)
def test_softmax_is_a_distribution_that_keeps_the_order(logits, temperature):
    probs = softmax(logits, temperature)
    assert math.fsum(probs) == pytest.approx(1.0, abs=1e-12)
    assert all(0.0 <= p <= 1.0 for p in probs)
    best = max(range(len(logits)), key=logits.__getitem__)
    assert probs[best] == max(probs)


def test_softmax_survives_large_logits():
    probs = softmax([1000.0, 999.0, 0.0])
    assert all(math.isfinite(p) for p in probs)
    assert probs[0] == pytest.approx(1 / (1 + math.exp(-1)))
    assert probs[1] == pytest.approx(math.exp(-1) / (1 + math.exp(-1)))
    assert probs[2] < 1e-300
    assert softmax([-1000.0, -1000.0]) == [0.5, 0.5]


def test_softmax_by_hand_and_with_temperature():
    naive = [math.exp(z) / sum(math.exp(w) for w in (1, 2, 3)) for z in (1, 2, 3)]
    assert softmax([1, 2, 3]) == pytest.approx(naive)
    assert softmax([1, 2, 3], 2.0) == pytest.approx(softmax([0.5, 1, 1.5]))
    assert softmax([1, 2, 3], 1e6) == pytest.approx([1 / 3] * 3, abs=1e-6)
    with pytest.raises(ValueError):
        softmax([])
    with pytest.raises(ValueError):
        softmax([1.0], 0.0)


# --- formulas ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "formula", "derivative"),
    [
        ("1/(1+exp(-x))", "1/(1 + exp(-x))", "exp(-x)/(1 + exp(-x))**2"),
        ("Max(0, x)", "Max(0, x)", "Heaviside(x)"),
        ("log(1+exp(x))", "log(exp(x) + 1)", "exp(x)/(exp(x) + 1)"),
        ("x^2 + 0.5*x", "x**2 + 0.5*x", "2*x + 0.5"),
        ("Abs(x)", "Abs(x)", "sign(x)"),
        ("-log(x)", "-log(x)", "-1/x"),
    ],
)
def test_formulas_and_derivatives(text, formula, derivative):
    expr, diff = analyse(text, True)
    assert str(expr) == formula
    assert str(diff) == derivative


@pytest.mark.parametrize(
    ("text", "offset", "fragment"),
    [
        ("__import__('os').system('x')", 0, "'__import__' is not allowed"),
        ("x.__class__", 1, "'.' is not allowed"),
        ("(x).real", 3, "'.' is not allowed"),
        ("x[0]", 1, "'[' is not allowed"),
        ("'x'", 0, '"\'" is not allowed'),
        ("lambda: x", 0, "'lambda' is not allowed"),
        ("exec", 0, "'exec' is not allowed"),
        ("x + eval", 4, "'eval' is not allowed"),
        ("Symbol", 0, "'Symbol' is not allowed"),
        ("y*x", 0, "'y' is not allowed"),
        ("x; 1", 1, "';' is not allowed"),
        ("x if x else 1", 2, "'if' is not allowed"),
        ("\uff58", 0, "is not allowed"),  # fullwidth x: Python would read it as x
        ("2x", 1, "write a * between"),
        ("x @ x", 2, "'@' is not allowed"),
        ("", 0, "empty"),
    ],
)
def test_scanner_refuses_everything_but_the_whitelist(text, offset, fragment):
    with pytest.raises(FormulaError) as caught:
        scan(text)
    assert fragment in str(caught.value)
    assert caught.value.offset == offset


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("x +* 2", "does not parse"),
        ("(x", "does not parse"),
        ("exp(x, x)", "does not parse"),
        ("10**10**10", "too large"),
        ("9**9**9**9", "too large"),
        ("x**(10**400)", "too large"),
        ("(10**300)**1000", "too large"),
        ("1/0", "undefined or infinite"),
        ("sqrt(-1)", "imaginary"),
    ],
)
def test_formulas_sympy_would_choke_on_are_refused(text, fragment):
    with pytest.raises(FormulaError, match=fragment):
        analyse(text, True)


def test_hostile_text_never_reaches_sympy(monkeypatch):
    import sympy.parsing.sympy_parser as parser

    real = parser.parse_expr
    calls = []

    def spy(text, *args, **kwargs):
        calls.append(text)
        return real(text, *args, **kwargs)

    monkeypatch.setattr(parser, "parse_expr", spy)
    analyse.cache_clear()
    for text in ("__import__('os').system('x')", "(1).__class__", "open('f')", "x.real"):
        with pytest.raises(FormulaError):
            analyse(text, False)
    assert calls == []
    assert str(analyse("x + 1", False)[0]) == "x + 1"
    assert calls == ["x + 1", "x + 1"]  # a clean formula does reach the parser (twice)
    analyse.cache_clear()
