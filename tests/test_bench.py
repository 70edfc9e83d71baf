"""The benchmark script keeps working (its figures are read by people, not asserted here)."""

from __future__ import annotations

import re
import subprocess
import sys

from .conftest import REPO


def _run_bench(script: str, *args: str, timeout: int) -> subprocess.CompletedProcess[str]:
    """A benchmark script of bench/ run as people run it, from the repository's top."""
    return subprocess.run(
        [sys.executable, script, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


def test_benchmark_runs_end_to_end_on_a_tiny_corpus() -> None:
    done = _run_bench(
        "bench/run.py",
        "--sizes",
        "40",
        "--one-per-file",
        "30",
        "--pictures",
        "4",
        "--history",
        "30",
        "--history-cards",
        "60",
        "--subdecks",
        "6",
        "--subdeck-cards",
        "60",
        "--sections",
        "2,6",
        "--section-cards",
        "30",
        "--repeat",
        "1",
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    rows = done.stdout.splitlines()
    assert rows[0].startswith("machine: ")
    commands = [row[27:61].strip() for row in rows[2:]]
    scenarios = [row[:26].strip() for row in rows[2:]]
    per_deck = [
        "floor (genanki, no rendering)",
        "ankigen check, cold",
        "ankigen build, cold",
        "ankigen build, warm",
        "ankigen build, one card changed",
        "ankigen check, warm",
    ]
    with_one_core = [*per_deck[:3], "ankigen build, cold, one core", *per_deck[3:]]
    history = [
        "build, cold, no history",
        "build, warm, no history",
        "build, cold, with history",
        "build, warm, with history",
    ]
    sections = ["ankigen build, cold", "ankigen build, warm"] * 2
    assert commands == [
        "ankigen --help",
        *per_deck,
        *per_deck,
        *per_deck,
        *sections,
        *with_one_core,
        *history,
    ]
    assert scenarios[-1] == "60 cards, 30 commits"
    assert scenarios[1] == "40 cards" and scenarios[7] == "30 cards, 1 per file"
    assert scenarios[13] == "60 cards, 6 decks"
    assert scenarios[19:23] == ["1 file, 2 sections"] * 2 + ["1 file, 6 sections"] * 2
    assert [row.split()[-1] for row in rows[21:23]] == ["1.00", "1.00"]  # the base of the rest
    assert scenarios[23] == "1,000 cards, 4 pictures"


def test_the_hostile_benchmark_prints_two_sizes_of_each_pattern() -> None:
    done = _run_bench("bench/run.py", "--hostile", "--hostile-scale", "0.01", timeout=300)
    assert done.returncode == 0, done.stderr
    import importlib.util

    spec = importlib.util.spec_from_file_location("hostile", REPO / "bench" / "hostile.py")
    assert spec is not None and spec.loader is not None
    hostile = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hostile)
    rows = done.stdout.splitlines()[1:]
    assert len(rows) == 2 * len(hostile.PATTERNS)
    assert all(row.split()[-1].replace(".", "").isdigit() for row in rows)


def test_the_preview_benchmark_runs_end_to_end_on_a_tiny_deck() -> None:
    sizes = ("--cards", "300", "--memory-cards", "300", "--repeat", "1")
    done = _run_bench("bench/preview.py", *sizes, timeout=600)
    assert done.returncode == 0, done.stderr
    rows = done.stdout.splitlines()
    assert rows[0].startswith("machine: ") and "load average" in rows[0]
    measures = [re.split(r"\s{2,}", row[19:].strip())[0] for row in rows[2:]]
    assert measures == [
        "open: first screen typeset, ms",
        "open: first screen typeset, ms",
        "filter to a deep card, ms (slowest of 3)",
        "scroll 60 screens: longest task, ms",
        "scroll at a reader's pace: longest task, ms",
        "follow 5 links deep: longest task, ms",
        "build, one card changed, s",
        "preview, one card changed, s",
        "--serve: save to page shows it, s",
        "--serve, a card per file: save to page shows it, s",
        "--serve, one file of 1 section in 10: save to page, s",
        "preview, cold: s / peak MiB",
        "preview, warm: s / peak MiB",
        "--serve, one rebuild: peak MiB",
    ]
