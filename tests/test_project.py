"""Where a command runs: the project is found upward, as git and ruff find theirs, and its
folders are the project's whatever sub-folder the command runs in."""

from __future__ import annotations

import sqlite3
import zipfile
from pathlib import Path

import pytest

from ankigen.config import find_project

from .conftest import Project, git, run_cli

CARD = "# Deck\n\n## Question\n\nAnswer\n"
EPOCH = {"SOURCE_DATE_EPOCH": "1700000000"}


def test_build_from_the_notes_folder_builds_the_project(project: Project) -> None:
    project.write("pyproject.toml", '[tool.ankigen]\nsource = "notes"\noutput = "dist"\n')
    project.write("notes/deck.md", CARD)
    done = run_cli("build", cwd=project.root / "notes", env=EPOCH)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith("../dist/deck.apkg: 1 deck, 1 note ")
    assert (project.root / "dist" / "deck.apkg").is_file()
    assert sorted(p.name for p in (project.root / "notes").iterdir()) == ["deck.md"]
    for command in ("check", "preview"):
        done = run_cli(command, cwd=project.root / "notes", env=EPOCH)
        assert done.returncode == 0, done.stderr
    assert (project.root / "dist" / "preview" / "index.html").is_file()


def test_a_single_file_from_the_notes_folder_caches_in_the_project(project: Project) -> None:
    project.write("ankigen.toml", 'source = "notes"\n')
    project.write("notes/deck.md", CARD)
    done = run_cli("build", "deck.md", cwd=project.root / "notes", env=EPOCH)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (project.root / "notes").iterdir()) == ["deck.md"]
    assert (project.root / "build" / ".cache").is_dir()
    assert (project.root / "build" / "deck.apkg").is_file()


def test_problems_are_shown_from_the_working_folder(project: Project) -> None:
    project.write("ankigen.toml", 'source = "notes"\ncolour = "red"\n')
    project.write("notes/deeper/deck.md", "# Deck\n\n## Question\n\n{{c1::never closed\n")
    done = run_cli("check", cwd=project.root / "notes", env=EPOCH)
    assert done.returncode == 2
    assert done.stderr.startswith("../ankigen.toml:2:1: error: unknown setting 'colour'")
    project.write("ankigen.toml", 'source = "notes"\n')
    done = run_cli("check", cwd=project.root / "notes" / "deeper", env=EPOCH)
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == (
        "deck.md:5:1: error: cloze deletion is never closed with `}}`"
    )


def test_the_nearest_settings_upward_win_then_the_git_root(tmp_path: Path) -> None:
    (tmp_path / "repo" / "a" / "b" / "c").mkdir(parents=True)
    git(tmp_path / "repo", "init", "-q")
    assert find_project(tmp_path / "repo" / "a" / "b" / "c") == (tmp_path / "repo").resolve()
    (tmp_path / "repo" / "a" / "ankigen.toml").write_text("")
    (tmp_path / "repo" / "a" / "b" / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert find_project(tmp_path / "repo" / "a" / "b" / "c") == tmp_path / "repo" / "a"
    (tmp_path / "repo" / "a" / "b" / "pyproject.toml").write_text("[tool.ankigen]\n")
    assert find_project(tmp_path / "repo" / "a" / "b" / "c") == tmp_path / "repo" / "a" / "b"
    (tmp_path / "repo" / "a" / "b" / "pyproject.toml").write_text("[tool.ankigen\n")
    assert find_project(tmp_path / "repo" / "a" / "b" / "c") == tmp_path / "repo" / "a" / "b"
    (tmp_path / "alone").mkdir()
    assert find_project(tmp_path / "alone") == tmp_path / "alone"


def test_a_git_repository_without_settings_is_the_project(project: Project) -> None:
    project.write("source_notes/deck.md", CARD)
    project.write("docs/readme.txt", "elsewhere in the repository\n")
    git(project.root, "init", "-q")
    done = run_cli("build", "-q", cwd=project.root / "docs", env=EPOCH)
    assert done.returncode == 0, done.stderr
    assert (project.root / "build" / "deck.apkg").is_file()


def _note_times(apkg: Path) -> set[int]:
    with zipfile.ZipFile(apkg) as archive:
        data = archive.read("collection.anki2")
    db = sqlite3.connect(":memory:")
    db.deserialize(data)
    return {mod for (mod,) in db.execute("SELECT mod FROM notes")}


@pytest.mark.parametrize("folder", [".", "notes"])
def test_notes_times_come_from_the_projects_history_from_any_folder(
    project: Project, folder: str
) -> None:
    project.write("pyproject.toml", '[tool.ankigen]\nsource = "notes"\ndeck = "One"\n')
    project.write("notes/deck.md", CARD)
    project.write(".gitignore", "build/\n")
    git(project.root, "init", "-q")
    git(project.root, "add", "-A")
    from .conftest import RENDERING_CHANGED

    start = RENDERING_CHANGED + 1  # the build runs apart: its notes are at least this new
    git(project.root, "commit", "-qm", "notes", when=start)
    project.write("pyproject.toml", '[tool.ankigen]\nsource = "notes"\ndeck = "Two"\n')
    git(project.root, "commit", "-qam", "a deck that shapes every note", when=start + 86_400)
    done = run_cli("build", "-q", cwd=project.root / folder)
    assert done.returncode == 0, done.stderr
    assert _note_times(project.root / "build" / "two.apkg") == {start + 86_400}


def test_a_new_folder_is_told_what_was_looked_for_and_how_to_start(tmp_path: Path) -> None:
    for command in ("build", "check", "preview"):
        done = run_cli(command, cwd=tmp_path)
        assert done.returncode == 2
        assert done.stderr.splitlines() == [
            "Error: no notes to build: there is no notes folder source_notes/ "
            "(the `source` setting).",
            "To start, pass note files or folders (`ankigen build notes/`, "
            "`ankigen build deck.md`),",
            'or set `source = "notes"` under [tool.ankigen] in pyproject.toml, or in ankigen.toml.',
        ]
    (tmp_path / "source_notes").mkdir()
    done = run_cli("build", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == (
        "source_notes:1:1: error: no note files here: "
        "write a .md file with a `## Question` heading per card"
    )


def test_a_text_file_without_headings_is_one_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("some notes\nmore notes\n")
    for command in ("build", "check"):
        done = run_cli(command, "notes.txt", cwd=tmp_path)
        assert done.returncode == 1
        problems = [
            line
            for line in done.stderr.splitlines()
            if ": error: " in line or ": warning: " in line
        ]
        assert problems == ["notes.txt:1:1: error: no `##` headings, so no cards in this file"]
