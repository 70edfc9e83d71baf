"""Plot blocks: located problems, normalised specs, and repeatable SVG and PNG pictures."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import pickle
import re
import struct
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from ankigen import diagrams
from ankigen.diagrams import (
    DEFAULT_FORMAT,
    KINDS,
    Picture,
    PlotSpec,
    Problem,
    draw,
    parse_plot,
)

REPO = Path(__file__).resolve().parent.parent

EXAMPLES = {
    "nms": (
        "nms",
        """\
        iou_threshold: 0.5
        boxes:            # x1, y1, x2, y2, score
          - [10, 10, 60, 60, 0.9]
          - [12, 14, 62, 58, 0.75]
          - [100, 30, 150, 90, 0.8]
        """,
    ),
    "nms-classes": (
        "nms",
        """\
        iou_threshold: 0.3
        boxes:
          - [10, 10, 60, 60, 0.9, cat]
          - [12, 14, 62, 58, 0.75, cat]
          - [20, 20, 70, 70, 0.6, dog]
        """,
    ),
    "pr-curve": (
        "pr-curve",
        """\
        title: One detector
        scores: [0.9, 0.8, 0.7, 0.6, 0.5]
        labels: [1, 0, 1, 1, 0]
        """,
    ),
    "pr-series": (
        "pr-curve",
        """\
        series:
          cat:
            scores: [0.9, 0.8, 0.7, 0.6, 0.5]
            labels: [1, 0, 1, 1, 0]
          dog:
            recall: [0.3, 1.0]
            precision: [0.8, 0.5]
        """,
    ),
    "softmax": (
        "softmax",
        """\
        logits: [2, 1, 0.1]
        temperatures: [1, 2]
        classes: [cat, dog, bird]
        """,
    ),
    "softmax-large": ("softmax", "logits: [1000, 999, 0]\n"),
    "function": (
        "function",
        """\
        title: Sigmoid
        expr: 1/(1+exp(-x))
        range: [-6, 6]
        derivative: true
        """,
    ),
    "function-poles": ("function", "expr: 1/x + log(x)\nrange: [-2, 2]\nderivative: true\n"),
    "function-relu": ("function", "expr: Max(0, x)\nderivative: true\n"),
}


def spec_of(name: str) -> PlotSpec:
    kind, text = EXAMPLES[name]
    spec, problems = parse_plot(kind, textwrap.dedent(text))
    assert problems == []
    assert spec is not None
    return spec


# --- the package -------------------------------------------------------------------------------


def run_python(code: str, **env: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, **env},
        check=True,
    )
    return result.stdout


def test_importing_and_checking_loads_no_plotting_library():
    loaded = json.loads(
        run_python("""
        import json, sys
        import ankigen.diagrams as d
        big = {"matplotlib", "sympy", "numpy"}
        heavy = lambda: sorted({m.split(".")[0] for m in sys.modules} & big)
        after_import = heavy()
        for kind, text in [("nms", "boxes: [[0, 0, 1, 1, 0.5]]"), ("softmax", "logits: [1, 2]"),
                           ("pr-curve", "recall: [0.5]\\nprecision: [1]")]:
            assert d.parse_plot(kind, text)[0] is not None
        after_check = heavy()
        assert d.parse_plot("function", "expr: x**2")[0] is not None
        print(json.dumps([after_import, after_check, heavy()]))
        """)
    )
    assert loaded[0] == []
    assert loaded[1] == []
    assert loaded[2] == []  # a formula is parsed in a child process, under a deadline


def test_the_four_kinds_are_registered():
    assert set(KINDS) == {"nms", "pr-curve", "softmax", "function"}
    assert all(kind.version >= 1 for kind in KINDS.values())
    assert DEFAULT_FORMAT == "svg"


def test_register_refuses_a_second_kind_of_the_same_name():
    with pytest.raises(ValueError, match="twice"):
        diagrams.register("nms", version=1, params=(), check=KINDS["nms"].check, describe=str)(
            KINDS["nms"].render
        )


# --- parameters and problems -------------------------------------------------------------------


def test_nms_parameters_are_normalised():
    spec = spec_of("nms")
    assert spec.kind == "nms"
    assert spec.params == {
        "boxes": [[10.0, 10.0, 60.0, 60.0], [12.0, 14.0, 62.0, 58.0], [100.0, 30.0, 150.0, 90.0]],
        "scores": [0.9, 0.75, 0.8],
        "classes": None,
        "iou_threshold": 0.5,
        "title": None,
    }
    json.dumps(spec.params, allow_nan=False)  # plain data


def test_defaults_are_filled_in():
    softmax, _ = parse_plot("softmax", "logits: [1, 2]")
    assert softmax is not None
    assert softmax.params["temperatures"] == [1.0]
    assert softmax.params["classes"] == ["1", "2"]
    function, _ = parse_plot("function", "expr: x")
    assert function is not None
    assert function.params == {
        "expr": "x",
        "range": [-5.0, 5.0],
        "derivative": False,
        "title": None,
    }
    scalar, _ = parse_plot("softmax", "logits: [1, 2]\ntemperatures: 0.5")
    assert scalar is not None and scalar.params["temperatures"] == [0.5]


def test_cache_key_follows_content_renderer_and_format(monkeypatch):
    spec = spec_of("nms")
    key = spec.cache_key()
    assert len(key) == 64 and int(key, 16) >= 0
    assert key == spec.cache_key("svg") == spec_of("nms").cache_key()
    assert key != spec.cache_key("png")
    same, _ = parse_plot(
        "nms",
        "boxes:\n  - [10.0, 10, 60, 60.0, 0.90]\n  - [12, 14, 62, 58, .75]"
        "\n  - [100, 30, 150, 90, 0.8]\niou_threshold: 0.50",
    )
    assert same is not None and same.cache_key() == key  # spelling of numbers does not matter
    other, _ = parse_plot("nms", "boxes:\n  - [10, 10, 60, 60, 0.9]\niou_threshold: 0.5")
    assert other is not None and other.cache_key() != key
    bumped = dataclasses.replace(KINDS["nms"], version=KINDS["nms"].version + 1)
    monkeypatch.setitem(KINDS, "nms", bumped)
    assert spec.cache_key() != key


NMS_OK = "  - [10, 10, 60, 60, 0.9]\n"

PROBLEMS = [
    # kind, block, (line, col) or line, fragment of the message
    (
        "nms",
        "boxes:\n" + NMS_OK + "  - [10, 10, 5, 60, 0.8]\n",
        (2, 13),
        "box 2: x2 (5) is less than x1 (10)",
    ),
    (
        "nms",
        "boxes:\n  - [10, 30, 60, 20, 0.8]\n" + NMS_OK,
        (1, 17),
        "box 1: y2 (20) is less than y1 (30)",
    ),
    ("nms", "boxes:\n" + NMS_OK + "  - [10, 10, 60]\n", (2, 4), "box 2 has 3 values"),
    (
        "nms",
        "boxes:\n" + NMS_OK + NMS_OK + "  - [0, 0, 1, 1, 1.5]\n",
        (3, 17),
        "box 3: score (1.5) is outside [0, 1]",
    ),
    ("nms", "boxes:\n" + NMS_OK + "  - [0, 0, 1, 1, -0.1]\n", 2, "score (-0.1) is outside [0, 1]"),
    (
        "nms",
        "boxes:\n" + NMS_OK + "iou_threshold: 1.2\n",
        (2, 15),
        "iou_threshold (1.2) is outside [0, 1]",
    ),
    (
        "nms",
        "boxes:\n" + NMS_OK + "  - [0, zero, 1, 1, 0.5]\n",
        (2, 8),
        "y1 should be a number, not 'zero'",
    ),
    ("nms", "boxes:\n" + NMS_OK + "  - [0, 0, 1, 1, 0.5, dog]\n", 1, "box 1 has no class"),
    ("nms", "boxes: 3\n", (0, 7), "boxes should be a list"),
    ("nms", "iou_threshold: 0.5\n", 0, "missing boxes"),
    ("nms", "boxes:\n" + NMS_OK + "iou_treshold: 0.4\n", (2, 0), "did you mean 'iou_threshold'"),
    ("nms", "boxes: !!python/object/apply:os.system [x]\n", 0, "tagged value"),
    (
        "pr-curve",
        "scores: [0.9, 0.8]\nlabels: [1, 2]\n",
        (1, 12),
        "labels: item 2 (2) should be 0 or 1",
    ),
    ("pr-curve", "scores: [0.9, 0.8]\nlabels: [true, 1]\n", 1, "should be a number, not 'true'"),
    (
        "pr-curve",
        "scores: [0.9, 0.8, 0.1]\nlabels: [1, 0]\n",
        1,
        "labels has 2 items but scores has 3",
    ),
    (
        "pr-curve",
        "scores: [0.9, 1.8]\nlabels: [1, 0]\n",
        (0, 14),
        "scores: item 2 (1.8) is outside [0, 1]",
    ),
    ("pr-curve", "scores: [0.9]\nlabels: [0]\n", 1, "labels has no 1"),
    (
        "pr-curve",
        "recall: [0.5, 1.5]\nprecision: [1, 0.5]\n",
        (0, 14),
        "recall: item 2 (1.5) is outside",
    ),
    (
        "pr-curve",
        "recall: [0.5, 1]\nprecision: [1, -0.5]\n",
        1,
        "precision: item 2 (-0.5) is outside",
    ),
    ("pr-curve", "recall: [0.5, 1]\nprecision: [1]\n", 1, "precision has 1 items but recall has 2"),
    ("pr-curve", "recall: [0.5]\n", 0, "missing precision"),
    ("pr-curve", "recall: [0.5]\nprecision: [1]\nscores: [1]\n", 0, "not both"),
    (
        "pr-curve",
        "series:\n  a:\n    scores: [0.9]\n    labels: [1]\n  b:\n    scores: [0.5]\n"
        "    labels: [3]\n",
        (6, 13),
        "series 'b': labels: item 1 (3) should be 0 or 1",
    ),
    ("softmax", "logits: []\n", (0, 8), "logits has 0 items"),
    ("softmax", "logits: [1, two]\n", (0, 12), "should be a number, not 'two'"),
    (
        "softmax",
        "logits: [1, 2]\ntemperatures: [1, 0]\n",
        (1, 18),
        "item 2 (0) should be greater than 0",
    ),
    ("softmax", "logits: [1, 2]\ntemperatures: -2\n", 1, "(-2) should be greater than 0"),
    ("softmax", "logits: [1, 2, 3]\nclasses: [a, b]\n", 1, "classes has 2 names but logits has 3"),
    ("softmax", "logits: [1, 2]\nlogits: [3]\n", 1, "given twice"),
    ("softmax", "logits: [1, .nan]\n", 0, "not a finite number"),
    ("function", "expr: x +* 2\n", (0, 6), "does not parse"),
    ("function", "range: [0, 1]\nexpr: 2 * y\n", (1, 10), "name 'y' is not allowed"),
    ("function", "expr: \"__import__('os').system('x')\"\n", (0, 7), "'__import__' is not allowed"),
    ("function", "expr: exp(x).real\n", (0, 12), "'.' is not allowed"),
    ("function", "expr: x\nrange: [2, 2]\n", (1, 7), "has zero width"),
    ("function", "expr: x\nrange: [3, 1]\n", 1, "goes from 3 down to 1"),
    ("function", "expr: x\nrange: [a, 1]\n", (1, 8), "should be a number"),
    ("function", "expr: x\nrange: [1, 2, 3]\n", 1, "range has 3 items"),
    ("function", "expr: x\nderivative: maybe\n", (1, 12), "true or false"),
    ("function", "expr: log(x)\nrange: [-3, -1]\n", 0, "no finite value"),
    ("function", "expr: [x]\n", 0, "should be text"),
    ("function", "title: [a, b]\nexpr: x\n", 0, "title should be text"),
    ("function", "derivative: true\n", 0, "missing expr"),
]


@pytest.mark.parametrize(("kind", "text", "where", "fragment"), PROBLEMS)
def test_bad_parameters_are_located(kind, text, where, fragment):
    spec, problems = parse_plot(kind, text)
    assert spec is None
    assert any(fragment in p.message for p in problems), problems
    hit = next(p for p in problems if fragment in p.message)
    line, col = where if isinstance(where, tuple) else (where, hit.col)
    assert (hit.line, hit.col) == (line, col)


def test_unknown_kind_is_a_problem_at_the_start():
    assert parse_plot("histogram", "x: 1") == (
        None,
        [
            Problem(
                0,
                0,
                "unknown plot kind 'histogram' (known kinds: function, nms, pr-curve, softmax)",
            )
        ],
    )


def test_yaml_syntax_errors_point_at_the_yaml_error():
    spec, problems = parse_plot("nms", "boxes:\n  - [1, 2, 3, 4, 0.5\niou_threshold: 0.5\n")
    assert spec is None
    assert len(problems) == 1
    assert problems[0].message.startswith("YAML:")
    assert problems[0].line == 2
    _, control = parse_plot("nms", "boxes: [1]\n\x07")
    assert control == [
        Problem(1, 0, "YAML: unacceptable character #x0007: special characters are not allowed")
    ]
    _, deep = parse_plot("nms", "boxes: " + "[" * 5000 + "]" * 5000)
    assert deep == [Problem(0, 0, "YAML: nested too deeply")]
    _, empty = parse_plot("softmax", "")
    assert empty == [
        Problem(
            0, 0, "plot softmax: the block is empty; expected logits, temperatures, classes, title"
        )
    ]


def test_all_problems_are_reported_in_one_go_in_line_order():
    text = textwrap.dedent("""\
        iou_threshold: 2
        boxes:
          - [10, 10, 60, 60, 0.9]
          - [60, 10, 10, 60, 0.8]
          - [0, 0, 1, 1, 7]
        colour: red
        """)
    spec, problems = parse_plot("nms", text)
    assert spec is None
    assert [p.line for p in problems] == [0, 3, 4, 5]
    assert "iou_threshold (2)" in problems[0].message
    assert "box 2: x2 (10) is less than x1 (60)" in problems[1].message
    assert "box 3: score (7)" in problems[2].message
    assert "unknown parameter 'colour'" in problems[3].message


# --- pictures ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_each_kind_renders_valid_svg(name):
    from ankigen.diagrams.canvas import SMALL

    picture = draw(spec_of(name))
    assert isinstance(picture, Picture)
    assert picture.ext == ".svg"
    root = ET.fromstring(picture.data)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert (root.get("width"), root.get("height")) == ("259.2pt", "172.8pt")
    # text of glyphs drawn at `scale(s -s)` is 100 s points: none smaller than 11 px on a phone
    sizes = re.findall(r"scale\(([0-9.]+) -\1\)", picture.data.decode())
    assert sizes and min(100 * float(s) for s in sizes) >= SMALL
    assert len(picture.data) < 80_000
    assert b"<dc:date>" not in picture.data
    assert b"Matplotlib v" not in picture.data
    assert b"<text" not in picture.data  # glyphs are paths: no font needed on the phone


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    chunks, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        chunks.append((data[at + 4 : at + 8], data[at + 8 : at + 8 + length]))
        at += 12 + length
    return chunks


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_each_kind_renders_valid_png(name):
    import matplotlib.image

    picture = draw(spec_of(name), "png")
    assert picture.ext == ".png"
    assert picture.data.startswith(b"\x89PNG\r\n\x1a\n")
    chunks = png_chunks(picture.data)
    assert chunks[0][0] == b"IHDR"
    assert struct.unpack(">II", chunks[0][1][:8]) == (720, 480)
    assert {kind for kind, _ in chunks} <= {b"IHDR", b"pHYs", b"IDAT", b"IEND"}  # no time, no text
    pixels = matplotlib.image.imread(io.BytesIO(picture.data), format="png")
    assert pixels.shape == (480, 720, 4)
    # Readable on a dark card: an opaque near-white card inside rounded, transparent corners.
    assert pixels[0, 0, 3] == 0
    margin = pixels[6, 337]
    assert margin[3] == 1.0 and min(margin[:3]) > 0.95


def test_renders_are_byte_identical_in_one_process():
    for name in ("nms", "function", "pr-series"):
        spec = spec_of(name)
        for fmt in ("svg", "png"):
            assert draw(spec, fmt).data == draw(spec_of(name), fmt).data


def digests() -> dict[str, str]:
    return {
        f"{name}.{fmt}": hashlib.sha256(draw(spec_of(name), fmt).data).hexdigest()
        for name in ("nms-classes", "pr-series", "softmax", "function")
        for fmt in ("svg", "png")
    }


def test_renders_are_byte_identical_in_a_fresh_process(tmp_path):
    # A hostile matplotlibrc and another hash seed in the fresh process change nothing.
    (tmp_path / "matplotlibrc").write_text(
        "font.size: 20\nsvg.hashsalt: other\nlines.linewidth: 9\n"
    )
    fresh = json.loads(
        run_python(
            "import json, tests.test_diagrams as t; print(json.dumps(t.digests()))",
            MPLCONFIGDIR=str(tmp_path),
            PYTHONHASHSEED="12345",
        )
    )
    assert fresh == digests()


def test_specs_and_pictures_travel_to_worker_processes():
    spec = spec_of("softmax")
    assert pickle.loads(pickle.dumps(spec)) == spec
    assert hash(spec) == hash(spec_of("softmax"))
    with ProcessPoolExecutor(max_workers=2) as pool:
        pictures = list(pool.map(draw, [spec, spec_of("nms")], ["png", "svg"]))
    assert pictures == [draw(spec, "png"), draw(spec_of("nms"), "svg")]


def test_alt_texts_say_what_the_pictures_show():
    assert draw(spec_of("nms")).alt == (
        "Non-maximum suppression at IoU threshold 0.5 on 3 boxes. Kept: box 1 (score 0.9), "
        "box 3 (score 0.8). Suppressed: box 2 (score 0.75) by box 1 with IoU 0.816."
    )
    assert (
        "box 2 (class cat, score 0.75) by box 1 with IoU 0.816" in draw(spec_of("nms-classes")).alt
    )
    assert "box 3 (class dog, score 0.6)" in draw(spec_of("nms-classes")).alt.split("Suppressed")[0]
    assert draw(spec_of("pr-curve")).alt == (
        "Precision-recall curve with 11-point interpolated AP 0.841."
    )
    # dog: recall 0.3 reaches levels 0 ... 0.3 at 0.8, recall 1 the rest at 0.5:
    # AP = (4 * 0.8 + 7 * 0.5) / 11 = 0.609; mAP = (0.841 + 0.609) / 2 = 0.725
    assert draw(spec_of("pr-series")).alt == (
        "Precision-recall curves with 11-point interpolated AP. cat: AP 0.841; dog: AP 0.609. "
        "mAP 0.725."
    )
    assert draw(spec_of("softmax")).alt == (
        "Softmax of the logits cat 2, dog 1, bird 0.1. Probabilities at temperature 1: "
        "cat 0.659, dog 0.242, bird 0.099; at temperature 2: cat 0.502, dog 0.304, bird 0.194."
    )
    assert "1 0.731, 2 0.269, 3 0.000" in draw(spec_of("softmax-large")).alt
    assert draw(spec_of("function")).alt == (
        "Plot of f(x) = 1/(1 + exp(-x)) for x from -6 to 6. "
        "Its derivative f'(x) = exp(-x)/(1 + exp(-x))**2."
    )


def test_title_becomes_the_caption():
    assert draw(spec_of("function")).title == "Sigmoid"
    assert draw(spec_of("pr-curve"), "png").title == "One detector"
    assert draw(spec_of("nms")).title is None


def test_formula_is_typeset_and_falls_back_to_plain_text(monkeypatch):
    import sympy

    from ankigen.diagrams.expression import analyse
    from ankigen.diagrams.function import _formula

    expr, derivative = analyse("1/(1+exp(-x))", True)
    text, size = _formula(expr, derivative, room=300)
    assert text == (
        "$f(x) = \\frac{1}{1 + e^{- x}}$\n$f'(x) = \\frac{e^{- x}}{\\left(1 + e^{- x}\\right)^{2}}$"
    )
    assert size == 10
    assert _formula(expr, derivative, room=60)[1] < 10  # shrunk to fit
    long, _ = analyse("Min(x, sin(x), cos(x))*atan(x)/asin(x/10) + acos(x/10)", True)
    text, size = _formula(long, sympy.diff(long), room=300)
    assert text.startswith("$f(x) = ") and "f'(x)" not in text  # f' left to legend and alt text
    monkeypatch.setattr(sympy, "latex", lambda e: r"\begin{cases} x \end{cases}")
    assert _formula(expr, None, room=300)[0] == "f(x) = 1/(1 + exp(-x))"
    picture = draw(spec_of("function"))  # still draws, with the plain-text formula
    assert ET.fromstring(picture.data).tag.endswith("svg")


def test_draw_refuses_unknown_formats_and_kinds():
    with pytest.raises(ValueError, match="format"):
        draw(spec_of("nms"), "gif")
    with pytest.raises(ValueError, match="kind"):
        draw(PlotSpec("pie", {}))


# --- hostile formulas --------------------------------------------------------------------------

HOSTILE = [
    "__import__('os').system('touch MARKER')",
    '__import__("os").system("touch MARKER")',
    "open('MARKER', 'w')",
    "exec(\"open('MARKER','w')\")",
    "().__class__.__base__.__subclasses__()",
    "lambda: open('MARKER', 'w')",
    "x + __builtins__",
    "getattr(x, 'y')",
    "Symbol('y')",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_formulas_are_located_problems_and_never_run(text, monkeypatch):
    calls = []
    monkeypatch.setattr(os, "system", lambda *args: calls.append(args) or 0)
    spec, problems = parse_plot("function", "range: [0, 1]\nexpr: " + json.dumps(text) + "\n")
    assert spec is None
    assert len(problems) == 1
    assert problems[0].line == 1
    assert "not allowed" in problems[0].message
    forged = PlotSpec(
        "function", {"expr": text, "range": [0, 1], "derivative": True, "title": None}
    )
    with pytest.raises(ValueError, match="not allowed"):
        draw(forged)
    assert calls == []


def test_hostile_formulas_create_no_file_in_a_fresh_process(tmp_path):
    code = f"""
        import json, sys
        from ankigen.diagrams import PlotSpec, draw, parse_plot
        for text in {HOSTILE!r}:
            assert parse_plot("function", "expr: " + json.dumps(text))[0] is None
            try:
                draw(PlotSpec("function", {{"expr": text, "range": [0, 1],
                                            "derivative": False, "title": None}}))
            except ValueError:
                pass
        if len(sys.argv) > 1:  # the control: evaluating the first text does create the file
            eval({HOSTILE[0]!r})
        """
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=tmp_path, env=env, check=True)
    assert not (tmp_path / "MARKER").exists()
    subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), "control"], cwd=tmp_path, env=env, check=True
    )
    assert (tmp_path / "MARKER").exists()
