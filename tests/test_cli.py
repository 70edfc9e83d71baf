"""The command line as a user meets it: start-up, configuration, outputs, summary."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO, Project, run_cli


def test_help_imports_nothing_heavy() -> None:
    code = (
        "import sys; from ankigen.cli import main\n"
        "heavy = {'markdown_it', 'genanki', 'pygments', 'matplotlib', 'sympy', 'numpy', 'yaml'}\n"
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_python_dash_m_and_help(tmp_path) -> None:  # type: ignore[no-untyped-def]
    done = run_cli("--help", cwd=tmp_path)
    assert done.returncode == 0
    assert "build" in done.stdout
    assert run_cli("--version", cwd=tmp_path).stdout.strip() == "ankigen, version 0.1.0"


def test_bare_build_uses_the_repository_defaults(tmp_path) -> None:  # type: ignore[no-untyped-def]
    done = run_cli("build", "-o", str(tmp_path / "out"), cwd=REPO, env={"SOURCE_DATE_EPOCH": "1"})
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "deep-learning-flashcards.apkg").is_file()
    assert "40 notes (33 basic, 3 reversed, 4 cloze), 51 cards, 6 media" in done.stdout


def test_pyproject_table_overrides_folders_deck_and_namespace(project: Project) -> None:
    project.write(
        "pyproject.toml",
        """
        [project]
        name = "my-notes"

        [tool.ankigen]
        source = "cards"
        output = "dist"
        deck = "Renamed"
        namespace = "pinned"
        """,
    )
    project.write("cards/x.md", "# Title\n\n## A\n\nb\n")
    result = project.build()
    assert result.exit_code == 0, result.stderr
    assert (project.root / "dist" / "renamed.apkg").is_file()
    assert "dist/renamed.apkg: 1 deck, 1 note (1 basic, 0 cloze), 1 card" in result.stdout


def test_ankigen_toml_is_read_too(project: Project) -> None:
    project.write("ankigen.toml", 'source = "n"\n')
    project.write("n/x.md", "# T\n\n## A\n\nb\n")
    assert project.build().exit_code == 0
    assert project.apkg("t").is_file()


def test_bad_settings_are_all_reported_with_their_lines(project: Project) -> None:
    project.write("ankigen.toml", 'source = "n"\ncolour = "red"\nallow_html = "yes"\n')
    result = project.build()
    assert result.exit_code == 2
    assert result.problems == [
        "ankigen.toml:2:1: error: unknown setting 'colour'; known: allow_html, code_language, "
        "deck, math, namespace, output, plot_format, release_tags, source",
        "ankigen.toml:3:1: error: setting 'allow_html' must be a bool",
    ]


def test_explicit_sources_and_single_output_file(project: Project) -> None:
    project.write("a.md", "# A\n\n## One\n\n1\n")
    project.write("b/c.md", "# C\n\n## Two\n\n2\n")
    result = project.build("a.md", "b", "-o", "all.apkg")
    assert result.exit_code == 0, result.stderr
    assert (project.root / "all.apkg").is_file()
    assert "all.apkg: 2 decks, 2 notes" in result.stdout


def test_the_summary_says_which_packages_were_written(project: Project) -> None:
    project.write("source_notes/d.md", "# D\n\n## A\n\n{{c1::a}} and {{c2::b}}\n\n## B\n\nb\n")
    first = project.build()
    assert first.stdout.splitlines() == [
        "build/d.apkg: 1 deck, 2 notes (1 basic, 1 cloze), 3 cards, 0 media files, "
        + first.stdout.split("0 media files, ")[1].splitlines()[0],
        "1 package written, 0 warnings",
    ]
    again = project.build()
    assert again.stdout.splitlines()[-1] == "0 packages written, 1 unchanged, 0 warnings"


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "pyproject.toml",
            '[project]\nname = "x"\n[tool.ankigen\nsource = "n"\n',
            "pyproject.toml:3:14: error: invalid TOML: "
            "Expected ']' at the end of a table declaration",
        ),
        (
            "ankigen.toml",
            'source = "n"\noutput = "never closed\n',
            "ankigen.toml:2:23: error: invalid TOML: Illegal character '\\n'",
        ),
        (
            "ankigen.toml",
            'source = "n"\nsource = "m"',
            "ankigen.toml:2:13: error: invalid TOML: Cannot overwrite a value",
        ),
    ],
)
def test_malformed_toml_is_a_located_error_with_exit_status_2(
    tmp_path: Path, name: str, text: str, expected: str
) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    for command in ("build", "check", "preview"):
        done = run_cli(command, cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        assert done.stderr.splitlines() == [expected]


def test_an_image_that_vanishes_before_rendering_is_named_as_a_read(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ankigen.render

    project.write("source_notes/d.md", "# D\n\n## A\n\n![a dot](dot.png)\n")
    image = project.root / "source_notes" / "dot.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n")
    draft_notes = ankigen.render.draft_notes

    def vanishing(*args: object, **kwargs: object) -> object:
        image.unlink()
        return draft_notes(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ankigen.render, "draft_notes", vanishing)
    result = project.build()
    assert result.exit_code == 1
    assert result.stderr == "Error: cannot read source_notes/dot.png: No such file or directory\n"


def test_an_output_that_cannot_be_written_is_named_as_a_write(project: Project) -> None:
    project.write("source_notes/d.md", "# D\n\n## A\n\na\n")
    project.write("taken", "a file where the output folder would go\n")
    result = project.build("-o", "taken/d.apkg")
    assert result.exit_code == 1
    assert result.stderr == "Error: cannot write taken: File exists\n"


def test_help_lists_each_command_with_its_whole_first_line(tmp_path: Path) -> None:
    from ankigen.cli import main

    done = run_cli("--help", cwd=tmp_path, env={"COLUMNS": "80"})
    listed = done.stdout.split("Commands:\n")[1].splitlines()
    firsts = {name: (command.help or "").splitlines()[0] for name, command in main.commands.items()}
    assert listed == [f"  {name:<8} {firsts[name]}" for name in sorted(firsts)]
    assert all(len(first) <= 60 and not first.endswith("...") for first in firsts.values())


def test_against_outside_git_says_so_once_with_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "source_notes").mkdir()
    (tmp_path / "source_notes" / "d.md").write_text("# D\n\n## A\n\nb\n")
    for command in ("diff", "check"):
        done = run_cli(command, "--against", "HEAD", cwd=tmp_path)
        assert done.returncode == 1
        assert done.stderr.splitlines()[-1] == (
            "Error: --against HEAD compares with the notes' git history, but this folder is not "
            "in a git repository: run it in a clone of the notes' repository"
        )
        assert done.stderr.count("git repository") == 1
