"""A golden broken project: every problem located in one run, exit 1, the old package intact.

Refresh the golden after an intended change of messages with:
    ANKIGEN_UPDATE_GOLDENS=1 pytest tests/test_broken_notes.py
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .conftest import UPDATE_GOLDENS, Project

BROKEN = Path(__file__).parent / "broken"
EXPECTED = BROKEN / "expected.txt"


def test_every_problem_is_reported_with_its_place_and_nothing_is_written(project: Project) -> None:
    shutil.copytree(BROKEN, project.root)
    previous = project.root / "build" / "broken-deck.apkg"
    previous.parent.mkdir()
    previous.write_bytes(b"the previous, good package")

    result = project.build("notes")

    assert result.exit_code == 1
    if UPDATE_GOLDENS:
        EXPECTED.write_text("\n".join(result.problems) + "\n", encoding="utf-8")
    assert result.problems == EXPECTED.read_text(encoding="utf-8").splitlines()
    assert result.stderr.rstrip().endswith("build failed with errors; nothing was written")
    assert previous.read_bytes() == b"the previous, good package"
    # no half-written package left behind (the notes cache may have learnt the sound files)
    assert sorted(p.name for p in previous.parent.iterdir()) == [".cache", "broken-deck.apkg"]


def test_a_folder_without_cards_is_an_error(project: Project) -> None:
    project.write("source_notes/readme.md", "# Just a title\n\nand some words\n")
    result = project.build()
    assert result.exit_code == 1
    assert result.problems == [
        "source_notes/readme.md:1:1: error: no `##` headings, so no cards in this file"
    ]


def test_a_missing_source_is_an_error(project: Project) -> None:
    project.root.mkdir()
    result = project.build("nowhere")
    assert result.exit_code == 1
    assert result.problems == ["nowhere:1:1: error: no such file or folder"]


def test_strict_turns_warnings_into_failure(project: Project) -> None:
    project.write("source_notes/d.md", "# D\n\nstray text\n\n## A\n\nbody\n")
    assert project.build().exit_code == 0
    strict = project.build("--strict")
    assert strict.exit_code == 1
    assert "warnings (--strict)" in strict.stderr


def test_check_reports_the_same_problems_as_build_cold_and_warm(project: Project) -> None:
    shutil.copytree(BROKEN, project.root)
    expected = EXPECTED.read_text(encoding="utf-8").splitlines()
    cold = project.run("check", "notes")
    assert cold.exit_code == 1
    assert cold.problems == expected  # duplicates across files included
    project.build("notes")
    warm = project.run("check", "notes")
    assert warm.problems == expected
