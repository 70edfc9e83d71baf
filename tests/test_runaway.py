"""Hostile inputs that once ran for minutes or for good: bounded, with located errors.

These tests assert behaviour (the run ends, the answer is right); the speed figures are in
`bench/run.py --hostile`.
"""

from __future__ import annotations

import pytest

from ankigen.diagrams import function

from .conftest import Project

SLOW_MAX = "Max(" + ",".join(f"x**{n}" for n in range(2, 33)) + ")"  # 182 characters


def plot_note(expr: str, derivative: bool = False) -> str:
    extra = "derivative: true\n" if derivative else ""
    return f"# D\n\n## A\n\n```plot function\nexpr: {expr}\n{extra}```\n"


def check_and_build(project: Project) -> tuple[list[str], list[str]]:
    checked, built = project.run("check"), project.build()
    assert checked.exit_code == built.exit_code == 1
    return checked.problems, built.problems


@pytest.mark.parametrize("power", ["10**9", "10**8"])
def test_a_power_with_an_unreal_exponent_is_refused_with_its_location(
    project: Project, power: str
) -> None:
    project.write("source_notes/d.md", plot_note(f"3**({power}+0*sqrt(-1))"))
    checked, built = check_and_build(project)
    assert checked == built
    assert checked == [
        f"source_notes/d.md:6:7: error: plot function: expr: the exponent 0*sqrt(-1) + {power} "
        "has no real value"
    ]


def test_a_formula_too_costly_to_draw_is_a_located_error_in_check_and_build(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(function, "DEADLINE", 0.5)
    function.bounded_trial.cache_clear()
    project.write("source_notes/d.md", plot_note(SLOW_MAX, derivative=True))
    checked, built = check_and_build(project)
    assert checked == built
    assert checked == [
        "source_notes/d.md:6:7: error: plot function: expr: the formula is too costly to "
        "evaluate and draw (over 0.5 s); simplify it"
    ]
    function.bounded_trial.cache_clear()


def test_after_a_formula_is_stopped_the_next_one_is_checked_normally() -> None:
    from ankigen import workers

    def slow() -> None:
        with pytest.raises(workers.DeadlineExceeded):
            workers.call_with_deadline(function._trial, (SLOW_MAX, True, (-5.0, 5.0)), 0.3)

    slow()
    assert workers.call_with_deadline(function._trial, ("sin(x)", True, (-5.0, 5.0)), 60) is None
    refused = workers.call_with_deadline(function._trial, ("1/(x-x)", False, (-5.0, 5.0)), 60)
    assert refused is not None and "undefined or infinite" in refused[0]
