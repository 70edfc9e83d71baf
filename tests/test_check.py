"""`ankigen check`: every problem `build` would find, in three formats, without writing."""

from __future__ import annotations

import json

from .conftest import Project

BROKEN = "# D\n\n## A\n\n{{c1::never closed\n\n## B\n\n```klingon\nx\n```\n"


def test_text_format_lists_problems_and_a_count(project: Project) -> None:
    project.write("source_notes/d.md", BROKEN)
    result = project.run("check")
    assert result.exit_code == 1
    assert result.problems == [
        "source_notes/d.md:5:1: error: cloze deletion is never closed with `}}`",
        "source_notes/d.md:9:1: warning: unknown code language 'klingon': "
        "shown without highlighting",
    ]
    assert "2 cards checked: 1 error(s), 1 warning(s)" in result.stderr
    assert not (project.root / "build").exists()


def test_github_format_is_workflow_annotations_on_stdout(project: Project) -> None:
    project.write("source_notes/d.md", BROKEN)
    result = project.run("check", "--format", "github")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "::error file=source_notes/d.md,line=5,col=1::cloze deletion is never closed with `}}`",
        "::warning file=source_notes/d.md,line=9,col=1::unknown code language 'klingon': "
        "shown without highlighting",
    ]


def test_json_format(project: Project) -> None:
    project.write("source_notes/d.md", BROKEN)
    rows = json.loads(project.run("check", "--format", "json").stdout)
    assert rows[0] == {
        "path": "source_notes/d.md",
        "line": 5,
        "col": 1,
        "severity": "error",
        "message": "cloze deletion is never closed with `}}`",
    }
    assert [r["severity"] for r in rows] == ["error", "warning"]


def test_exit_status_clean_warnings_strict_and_usage(project: Project) -> None:
    project.write("source_notes/d.md", "# D\n\n## A\n\n```klingon\nx\n```\n")
    assert project.run("check").exit_code == 0
    assert project.run("check", "--strict").exit_code == 1
    assert project.run("check", "--format", "xml").exit_code == 2
    project.write("source_notes/d.md", "# D\n\n## A\n\nfine\n")
    assert project.run("check", "--strict").exit_code == 0


def test_single_files_keep_the_notes_folder_as_root(project: Project) -> None:
    """As a pre-commit hook passes them: a picture in a sibling folder is still inside."""
    from .test_render import PNG

    project.write("source_notes/topic/d.md", "# D\n\n## A\n\n![dot](../pictures/dot.png)\n")
    (project.root / "source_notes" / "pictures").mkdir()
    (project.root / "source_notes" / "pictures" / "dot.png").write_bytes(PNG)
    result = project.run("check", "source_notes/topic/d.md")
    assert result.exit_code == 0, result.stderr


def test_check_does_not_draw(project: Project) -> None:
    project.write("source_notes/d.md", "# D\n\n## S\n\n```plot softmax\nlogits: [1, 2]\n```\n")
    assert project.run("check").exit_code == 0
    assert not (project.root / "build").exists()
