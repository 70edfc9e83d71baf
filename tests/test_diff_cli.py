"""`ankigen diff` on the command line: two packages, or the working tree against a revision."""

from __future__ import annotations

import json

from .conftest import Project, git

V1 = "# D\n\n## Kept\n\nsame\n\n## Edited\n\nold words here\n\n## Gone\n\nbye\n"
V2 = "# D\n\n## Kept\n\nsame\n\n## Edited\n\nnew words here\n\n## Fresh\n\nhello\n"


def test_two_packages(project: Project) -> None:
    project.write("source_notes/d.md", V1)
    assert project.build("-o", "old.apkg").exit_code == 0
    project.write("source_notes/d.md", V2)
    assert project.build("-o", "new.apkg").exit_code == 0
    result = project.run("diff", "old.apkg", "new.apkg", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["summary"]["added"] == data["summary"]["removed"] == 1
    assert data["summary"]["changed"] == 1
    text = project.run("diff", "old.apkg", "new.apkg").stdout
    assert "Back: [-old-] {+new+} words here" in text


def test_against_a_git_revision(project: Project) -> None:
    project.write("source_notes/d.md", V1)
    git(project.root, "init", "-q")
    git(project.root, "add", ".")
    git(project.root, "commit", "-qm", "v1")
    project.write("source_notes/d.md", V2)
    result = project.run("diff", "--against", "HEAD", "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("**Anki will add 1 note, update 1 and leave 2 alone")
    assert "\n\n**1 added, 1 changed, 1 removed**\n" in result.stdout
    assert project.run("diff", "--against", "no-such-ref").exit_code == 1


def test_usage_errors(project: Project) -> None:
    project.write("source_notes/d.md", V1)
    assert project.build("-o", "a.apkg").exit_code == 0
    assert project.run("diff", "a.apkg").exit_code == 2
    assert project.run("diff", "a.apkg", "a.apkg", "--against", "HEAD").exit_code == 2
    assert project.run("diff", "a.apkg", "a.apkg").stdout.splitlines()[1] == "No card changes."
