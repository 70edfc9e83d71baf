"""Finding note files: links, odd files, order, and the note times git gives them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from .conftest import Project, commit_each, git
from .test_package import _note_times


def test_a_note_that_links_outside_the_folder_is_refused(project: Project) -> None:
    project.write("secret.md", "## Secret\n\nthe secret body\n")
    project.write("source_notes/d.md", "# D\n\n## A\n\nb\n")
    (project.root / "source_notes" / "link.md").symlink_to(project.root / "secret.md")
    (project.root / "source_notes" / "zero.md").symlink_to("/dev/zero")
    result = project.build()
    assert result.exit_code == 1
    assert result.problems == [
        "source_notes/link.md:1:1: error: file is a link to outside the notes folder",
        "source_notes/zero.md:1:1: error: file is a link to outside the notes folder",
    ]


def test_a_link_inside_the_folder_is_fine_and_fifos_are_refused(project: Project) -> None:
    project.write("source_notes/real/d.md", "# D\n\n## A\n\nb\n")
    (project.root / "source_notes" / "alias.md").symlink_to(
        project.root / "source_notes" / "real" / "d.md"
    )
    os.mkfifo(project.root / "source_notes" / "pipe.md")
    result = project.build()
    assert result.problems[0] == "source_notes/pipe.md:1:1: error: not a regular file"
    assert len(result.problems) == 2  # and the alias repeats the card: a duplicate identity
    assert "duplicate card id 'a'" in result.problems[1]


def test_argument_order_does_not_change_the_package(project: Project) -> None:
    project.write("n/a.md", "---\ndeck: D\n---\n## A\n\na\n")
    project.write("n/b.md", "---\ndeck: D\n---\n## B\n\nb\n")
    assert project.build("n/b.md", "n/a.md", "-o", "one.apkg").exit_code == 0
    assert project.build("n/a.md", "n/b.md", "-o", "two.apkg").exit_code == 0
    assert (project.root / "one.apkg").read_bytes() == (project.root / "two.apkg").read_bytes()


def test_odd_file_names_and_merges_get_their_commit_times(project: Project, tmp_path: Path) -> None:
    project.write('source_notes/a"b.md', "# D\n\n## Quoted\n\nq\n")
    project.write("source_notes/m.md", "---\ndeck: D\n---\n## Merged\n\nbase\n")
    root = project.root
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-qm", "base", when=1_500_000_000)
    git(root, "checkout", "-qb", "feature")
    project.write("source_notes/m.md", "---\ndeck: D\n---\n## Merged\n\nfeature\n")
    git(root, "commit", "-qam", "feature", when=1_500_000_100)
    git(root, "checkout", "-q", "main")
    project.write("source_notes/other.md", "---\ndeck: D\n---\n## Other\n\no\n")
    git(root, "add", ".")
    git(root, "commit", "-qm", "main moves on", when=1_500_000_200)
    git(root, "merge", "-q", "--no-edit", "feature", when=1_500_000_300)
    assert project.build(epoch=None).exit_code == 0
    times = _note_times(project.apkg("d"), tmp_path)
    assert times == {"Quoted": 1_500_000_000, "Merged": 1_500_000_300, "Other": 1_500_000_200}


def test_a_link_loop_named_like_a_note_is_a_located_error(project: Project) -> None:
    project.write("source_notes/d.md", "# D\n\n## A\n\nb\n")
    loop = project.root / "source_notes" / "loop.md"
    loop.symlink_to(loop)
    result = project.build()
    assert result.exit_code == 1
    assert len(result.problems) == 1
    assert result.problems[0].startswith("source_notes/loop.md:1:1: error: cannot read the file")


def test_commit_times_reach_notes_in_every_subfolder(project: Project, tmp_path: Path) -> None:
    project.write("source_notes/one/a.md", "# D\n\n## A\n\na\n")
    project.write("source_notes/two/deeper/b.md", "---\ndeck: D\n---\n## B\n\nb\n")
    commit_each(
        project.root, {"source_notes/one": 1_600_000_000, "source_notes/two": 1_650_000_000}
    )
    assert project.build(epoch=None).exit_code == 0
    assert _note_times(project.apkg("d"), tmp_path) == {"A": 1_600_000_000, "B": 1_650_000_000}


def test_a_linked_note_carries_the_commit_time_of_the_file_it_leads_to(
    project: Project, tmp_path: Path
) -> None:
    project.write("source_notes/real.txt", "# D\n\n## A\n\na\n")
    (project.root / "source_notes" / "a.md").symlink_to("real.txt")
    git(project.root, "init", "-q")
    git(project.root, "add", "source_notes")
    git(project.root, "commit", "-qm", "first", when=1_600_000_000)
    project.write("source_notes/real.txt", "# D\n\n## A\n\nedited\n")
    git(project.root, "commit", "-qam", "edit", when=1_650_000_000)
    assert project.build(epoch=None).exit_code == 0
    assert _note_times(project.apkg("d"), tmp_path) == {"A": 1_650_000_000}


def test_notes_in_a_repository_of_their_own_carry_its_commit_times(
    project: Project, tmp_path: Path
) -> None:
    project.write("source_notes/a.md", "# D\n\n## A\n\na\n")
    project.write("source_notes/shared/s.md", "---\ndeck: D\n---\n## S\n\ns\n")
    git(project.root / "source_notes" / "shared", "init", "-q")
    git(project.root / "source_notes" / "shared", "add", "s.md")
    git(project.root / "source_notes" / "shared", "commit", "-qm", "s", when=1_500_000_000)
    git(project.root, "init", "-q")
    git(project.root, "add", "source_notes/a.md")
    git(project.root, "commit", "-qm", "a", when=1_600_000_000)
    assert project.build(epoch=None).exit_code == 0
    assert _note_times(project.apkg("d"), tmp_path) == {"A": 1_600_000_000, "S": 1_500_000_000}


def test_a_folder_that_cannot_be_listed_is_a_located_error(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.write("source_notes/d.md", "# D\n\n## A\n\na\n")
    project.write("source_notes/locked/e.md", "# E\n\n## B\n\nb\n")
    real = os.scandir

    def scandir(folder):  # type: ignore[no-untyped-def]
        if str(folder).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(folder))
        return real(folder)

    monkeypatch.setattr(os, "scandir", scandir)
    result = project.build()
    assert result.exit_code == 1
    assert result.problems == [
        "source_notes/locked:1:1: error: cannot read the folder: Permission denied"
    ]


def test_a_file_unchanged_since_it_was_read_is_not_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `--serve` relies on: each rebuild finds every file again, but reads only those whose
    status moved since, or that had not been still long enough to be trusted."""
    from dataclasses import replace

    from ankigen import sources, storage
    from ankigen.context import Context
    from ankigen.errors import Diagnostics

    notes = tmp_path / "notes"
    notes.mkdir()
    old, fresh = notes / "old.md", notes / "fresh.md"
    old.write_text("# Old\n\n## A\n\nfirst\n")
    fresh.write_text("# Fresh\n\n## A\n\nfirst\n")
    written = old.stat().st_mtime
    reads: list[str] = []

    def read_regular(path: Path, *args: Any, **kwargs: Any) -> bytes:
        reads.append(path.name)
        return storage.read_regular(path, *args, **kwargs)

    monkeypatch.setattr(sources, "read_regular", read_regular)
    context = Context.from_environment(cwd=tmp_path)
    later = replace(context, clock=lambda: written + 10)  # old.md has been still for 10 s
    soon = replace(context, clock=lambda: written + 0.5)

    def texts(context: Context) -> dict[str, str]:
        found = sources.discover([notes], Diagnostics(), context=context)
        return {file.path.name: file.text for file in found}

    assert texts(later) == {
        "fresh.md": "# Fresh\n\n## A\n\nfirst\n",
        "old.md": "# Old\n\n## A\n\nfirst\n",
    }
    assert sorted(reads) == ["fresh.md", "old.md"]
    reads.clear()
    assert texts(later)["old.md"] == "# Old\n\n## A\n\nfirst\n"
    assert reads == []  # both still as they were read

    # the same size and modification time, another text: the change time tells
    stat = old.stat()
    old.write_text("# Old\n\n## A\n\nFIRST\n")
    os.utime(old, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert texts(later)["old.md"] == "# Old\n\n## A\n\nFIRST\n"
    assert reads == ["old.md"]

    # a file written within STILL_NS of its reading is read every time
    reads.clear()
    sources._READ.clear()
    texts(soon)
    texts(soon)
    assert sorted(reads) == ["fresh.md", "fresh.md", "old.md", "old.md"]
