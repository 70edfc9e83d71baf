"""Hostile inputs that once ran for minutes or for good: bounded, with located errors.

These tests assert behaviour (the run ends, the answer is right); the speed figures are in
`bench/run.py --hostile`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ankigen.diagrams import function
from ankigen.texcheck import check_tex

from .conftest import Project
from .helpers import messages, parse

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


def children(parent: int) -> set[int]:
    """The live processes whose parent is `parent` (from /proc)."""
    pids = [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]
    return {pid for pid in pids if (stat := process_stat(pid)) and stat[1] == parent and alive(pid)}


def process_stat(pid: int) -> tuple[str, int] | None:
    """A process's state letter and parent id, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    state, ppid = text.rsplit(")", 1)[1].split()[:2]
    return state, int(ppid)


def test_workers_exit_when_their_build_is_killed(project: Project) -> None:
    plots = "".join(
        f"## P{n}\n\n```plot function\nexpr: sin({n}*x) + x**{n % 5}\nderivative: true\n```\n\n"
        for n in range(1, 41)
    )
    project.write("source_notes/d.md", "# D\n\n" + plots)
    build = subprocess.Popen(
        [sys.executable, "-m", "ankigen", "build"],
        cwd=project.root,
        env={**os.environ, "ANKIGEN_JOBS": "2"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        seen: set[int] = set()
        deadline = time.monotonic() + 120
        while len(seen) < 3 and build.poll() is None and time.monotonic() < deadline:
            seen |= children(build.pid)  # the formula checker, then two drawing workers
            time.sleep(0.02)
        assert len(seen) >= 3, "the build ended before its workers were seen"
        build.kill()
        build.wait()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(alive(pid) for pid in seen):
            time.sleep(0.1)
        assert [pid for pid in seen if alive(pid)] == []
    finally:
        build.kill()
        build.wait()


def alive(pid: int) -> bool:
    stat = process_stat(pid)
    return stat is not None and stat[0] != "Z"


# --- crafted notes: sizes that took minutes (or hours) before, each checked for its answer ----


def test_a_link_opener_followed_by_a_megabyte_of_spaces() -> None:
    spaces = " " * 1_000_000
    _, found = parse(f"# D\n\n## A\n\n]({spaces}x\n\n## B\n\nsee [a](  javascript:alert(1))\n")
    assert messages(found) == [
        "deck.md:9:8: error: link to a `javascript:` address: links go to web pages"
    ]


def test_many_formulas_in_one_card_are_located() -> None:
    lines = 100_000
    text = "# D\n\n## A\n\n" + "$x$ and\n" * lines + "$\\frac{1}$\n"
    cards, found = parse(text)
    assert len(cards[0].formulas) == lines + 1
    assert cards[0].formulas[-1].location.line == lines + 5
    assert [m.split(": error: ")[0] for m in messages(found)] == [f"deck.md:{lines + 5}:2"]


def test_front_matter_with_many_keys_locates_each() -> None:
    keys = 50_000
    text = "---\n" + "".join(f"k{n}: v\n" for n in range(keys)) + "---\n# D\n\n## A\n\nx\n"
    _, found = parse(text)
    problems = messages(found)
    assert len(problems) == keys
    assert problems[-1].startswith(f"deck.md:{keys + 1}:1: error: front matter: unknown key")


def test_a_heading_of_many_id_openers() -> None:
    cards, found = parse("# D\n\n## a" + "{#" * 100_000 + "\n\nx\n\n## b {#fine}\n\ny\n")
    assert [card.identity for card in cards][1] == "fine"
    assert not found.errors


def test_many_open_braces_then_stray_closers() -> None:
    n = 40_000
    problems = check_tex("{" * n + "\\right." * n)
    assert {p.message for p in problems} == {"unbalanced brace: `{` is never closed"}
    assert check_tex("x" + "\\right." * n)[0].message == (
        "`\\right` without a matching `\\left` before it"
    )
    tags = check_tex("\\begin{aligned}" + "{" * n + "\\tag{1}" * 3 + "}" * n + "\\end{aligned}")
    assert [p.message for p in tags] == [
        "`\\tag` is not allowed in the `aligned` environment"
    ] * len(tags)


def test_deeply_nested_clozes_are_checked() -> None:
    n = 20_000
    cards, found = parse("# D\n\n## A\n\n" + "{{c1::" * n + "x" + "}}" * n + " and {{c2::y}}\n")
    assert len(cards) == 1
    assert messages(found) == []
    unclosed = parse("# D\n\n## A\n\n" + "{{c1::" * n + "x\n")[1]
    assert len(messages(unclosed)) == n


def test_a_card_of_thousands_of_cloze_numbers_is_not_read_once_per_number() -> None:
    text = "# D\n\n## A\n\n" + " ".join(f"{{{{c{n}::word{n}}}}}" for n in range(1, 5001)) + "\n"
    (problem,) = messages(parse(text)[1])
    assert problem.startswith(
        "deck.md:3:4: warning: cloze answers not checked for being given away: 5000 cards of "
    )


def test_a_renamed_deck_with_every_card_edited_pairs_every_rename() -> None:
    from ankigen.diff import PackageContents, PackagedNote, diff_contents

    def deck(name: str, edit: str) -> PackageContents:
        notes = {
            f"{name}{n}": PackagedNote(
                f"{name}{n}",
                "ankigen Basic",
                {"Front": f"Card {n} of the deck", "Back": f"The answer {n} {edit} {n * 7919}"},
                (),
                name,
            )
            for n in range(3000)
        }
        return PackageContents(notes, {})

    result = diff_contents(deck("old", "is"), deck("new", "is now"))
    assert len(result.renames) == 3000
    assert all(r.old.guid[3:] == r.new.guid[3:] for r in result.renames)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from("abcdef"), max_size=20), min_size=1, max_size=12))
def test_the_rename_filter_keeps_every_pair_the_pairwise_comparison_finds(
    texts: list[list[str]],
) -> None:
    import difflib

    from ankigen.diff.compare import RENAME_SIMILARITY, _sharing_rare_words

    half = len(texts) // 2
    olds, news = [tuple(t) for t in texts[:half]], [tuple(t) for t in texts[half:]]
    kept = _sharing_rare_words(olds, news)
    for old, candidates in zip(olds, kept, strict=True):
        for number, new in enumerate(news):
            matcher = difflib.SequenceMatcher(None, new, old, autojunk=False)
            if old and new and matcher.quick_ratio() >= RENAME_SIMILARITY:
                assert number in candidates, (old, new)
