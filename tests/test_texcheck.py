"""The formula checker: every valid formula passes, every broken one is located."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ankigen.texcheck import TexProblem, check_tex

DATA = Path(__file__).parent / "texcheck"


def _lines(name: str) -> list[str]:
    text = (DATA / name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line and not line.startswith("%%")]


VALID = _lines("valid.txt")
BROKEN = [tuple(line.split("\t")) for line in _lines("broken.txt")]


def _errors(tex: str) -> list[TexProblem]:
    return [p for p in check_tex(tex) if p.severity == "error"]


def test_the_lists_are_big_enough() -> None:
    assert len(VALID) >= 120
    assert len(BROKEN) >= 40
    assert all(len(case) == 3 for case in BROKEN)


@pytest.mark.parametrize("tex", VALID)
def test_valid_formula_has_no_error(tex: str) -> None:
    assert _errors(tex) == []
    assert _errors(tex) == [p for p in check_tex(tex, display=True) if p.severity == "error"]


@pytest.mark.parametrize(("tex", "offset", "word"), BROKEN)
def test_broken_formula_is_located(tex: str, offset: str, word: str) -> None:
    errors = _errors(tex)
    at = [p for p in errors if p.offset == int(offset)]
    assert at, f"no error at {offset} ({tex[int(offset) :][:10]!r}); got {errors}"
    assert any(word.lower() in p.message.lower() for p in at), at


def test_first_case_of_the_issue() -> None:
    tex = r"w_t = w_{t-1} - learningrate * {\frac{dL}{d_{wt-w}}"
    assert check_tex(tex) == [
        TexProblem(tex.index(r"{\frac"), "unbalanced brace: `{` is never closed", "error")
    ]


def test_stray_closing_brace_is_pointed_at() -> None:
    (problem,) = check_tex("a}b")
    assert (problem.offset, problem.severity) == (1, "error")
    assert "`}`" in problem.message


def test_unknown_command_suggests_the_near_name() -> None:
    (problem,) = check_tex(r"x = \alpah")
    assert problem.offset == 4
    assert r"\alpha" in problem.message


def test_offsets_point_into_the_text_with_cloze_markup() -> None:
    tex = r"{{c1::a}} + {{c2::\fracc{1}{2} }}"
    (problem,) = check_tex(tex)
    assert problem.offset == tex.index(r"\fracc")


def test_cloze_closed_early_by_braces_is_an_error_on_the_front() -> None:
    tex = r"{{c1::\frac{a}{b^{2}}}}"
    problems = check_tex(tex)
    assert problems and all("front of card c1" in p.message for p in problems)


def test_hint_of_a_cloze_is_what_the_front_shows() -> None:
    assert _errors(r"x^{{c1::2::\alpha}}") == []
    (problem,) = _errors(r"x^{{c1::2::\alpah}}")  # the front reads x^[\alpah]
    assert problem.offset == 2
    assert "front of card c1" in problem.message


def test_percent_sign_is_a_warning_not_an_error() -> None:
    (problem,) = check_tex("50% of x")
    assert (problem.offset, problem.severity) == (2, "warning")


def test_line_break_outside_an_environment_is_a_warning() -> None:
    (problem,) = check_tex(r"a \\ b")
    assert (problem.offset, problem.severity) == (2, "warning")
    assert check_tex(r"\begin{gathered} a \\ b \end{gathered}") == []


def test_definitions_are_refused_and_the_rest_still_read() -> None:
    (problem,) = _errors(r"\newcommand{\R}{\mathbb{R}} x \in \R")
    assert problem.offset == 0
    assert "not allowed" in problem.message
    (problem,) = _errors(r"\let\R=\mathbb \R{R}")
    assert problem.offset == 0
    _, problem = _errors(r"\newcommand{\foo}[2]{#1#2} \foo{a}")
    assert "argument" in problem.message


def test_problems_are_sorted_and_frozen() -> None:
    problems = check_tex(r"\fracc + \alpah + {")
    assert [p.offset for p in problems] == sorted(p.offset for p in problems)
    with pytest.raises(AttributeError):
        problems[0].offset = 3  # type: ignore[misc]


def test_deep_nesting_is_not_a_crash() -> None:
    tex = "\\frac{" * 2000 + "x" + "}{y}" * 2000
    assert [p.severity for p in check_tex(tex)] == ["warning"]
    assert len(check_tex("x^{" * 3000)) <= 20


def test_math_inside_a_text_box_is_checked() -> None:
    assert check_tex(r"\text{area $\pi r^2$ and \(r > 0\)}") == []
    (problem,) = check_tex(r"\text{costs $5}")
    assert problem.offset == 12


TOKENS = r"\frac \left \right \begin{aligned} \end{aligned} {{c1:: }} :: \\ \sqrt ^{ _{"
TEX_ALPHABET = st.sampled_from([*"\\{}[]^_&#%'$()|.,=+- \nabx12", *TOKENS.split()])


@settings(max_examples=300, deadline=None)
@given(st.lists(TEX_ALPHABET, max_size=30).map("".join))
def test_never_raises_on_tex_like_text(tex: str) -> None:
    for problem in check_tex(tex):
        assert 0 <= problem.offset <= len(tex)
        assert problem.severity in ("error", "warning")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_never_raises_on_any_text(tex: str) -> None:
    for problem in check_tex(tex):
        assert 0 <= problem.offset <= len(tex)
