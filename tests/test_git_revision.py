"""The notes of a git revision, as `diff --against` and `preview --changed-since` both take them:
with the revision's own settings, and the pictures of the working tree's cache."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import ankigen.drawing
from ankigen.git import BlobReader, repository_root, run_git, tracked_files
from ankigen.git.revision import checkout_revision, notes_at_revision

from .conftest import Project, commit_all
from .preview.folder_text import page_with_cards

PLOT = "# D\n\n## S\n\n```plot softmax\nlogits: [1, 2]\n```\n"


def test_the_runner_root_and_blobs(project: Project) -> None:
    project.write("source_notes/d.md", "# D\n\n## A\n\nx\n")
    commit_all(project.root)
    assert repository_root(project.root / "source_notes") == project.root.resolve()
    assert tracked_files(project.root, Path("source_notes")) == ["source_notes/d.md"]
    blob = run_git(project.root, "rev-parse", "HEAD:source_notes/d.md")
    assert blob is not None
    with BlobReader(project.root) as blobs:
        assert blobs.read(blob.strip()) == b"# D\n\n## A\n\nx\n"
        assert blobs.read_many(["0" * 40, "not an id", blob.strip()])[:2] == [None, None]
        with pytest.raises(ValueError, match="could not read"):
            blobs.read("f" * 40)
    assert run_git(project.root, "no-such-command") is None


def test_a_revision_is_built_with_its_own_settings(project: Project) -> None:
    project.write("ankigen.toml", 'source = "old"\n')
    project.write("old/d.md", "# Old deck\n\n## A\n\nx\n")
    commit_all(project.root)
    project.write("ankigen.toml", 'source = "new"\n')
    project.write("new/d.md", "# New deck\n\n## A\n\nx\n")
    os.remove(project.root / "old" / "d.md")
    notes = notes_at_revision("HEAD", project.root, project.root / "build")
    assert len(notes) == 1 and "Old deck" in repr(notes) and "New deck" not in repr(notes)


def test_given_paths_are_taken_from_the_same_places(project: Project) -> None:
    project.write("source_notes/a.md", "# D\n\n## A\n\nx\n")
    project.write("source_notes/b.md", "# D\n\n## B\n\ny\n")
    commit_all(project.root)
    only = [project.root / "source_notes" / "b.md"]
    notes = notes_at_revision("HEAD", project.root, project.root / "build", only)
    assert len(notes) == 1 and "'B'" in repr(notes) and "'A'" not in repr(notes)
    with pytest.raises(ValueError, match="outside the git repository"):
        notes_at_revision("HEAD", project.root, project.root / "build", [project.root.parent])


def test_pictures_are_drawn_once_for_the_revision_and_the_working_tree(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.write("source_notes/d.md", PLOT)
    commit_all(project.root)
    assert project.build().exit_code == 0
    pictures = sorted((project.root / "build" / ".cache" / "pictures").iterdir())
    assert pictures

    def refuse(jobs: list[object]) -> list[object]:
        assert not jobs, "a picture was drawn again"
        return []

    monkeypatch.setattr(ankigen.drawing, "_draw", refuse)
    old = Path.cwd()
    os.chdir(project.root)
    try:
        notes = notes_at_revision("HEAD", project.root, Path("build"))
    finally:
        os.chdir(old)
    assert len(notes) == 1
    assert sorted((project.root / "build" / ".cache" / "pictures").iterdir()) == pictures


def test_a_path_with_a_parent_part_is_left_out(project: Project, tmp_path: Path) -> None:
    project.write("source_notes/d.md", "# D\n\n## A\n\nx\n")
    commit_all(project.root)
    tree = checkout_revision(project.root, "HEAD", tmp_path / "t", ["source_notes/../source_notes"])
    assert not any(tree.iterdir())
    tree = checkout_revision(project.root, "HEAD", tmp_path / "t", ["source_notes"])
    assert (tree / "source_notes" / "d.md").is_file()


def test_a_planted_link_for_the_picture_cache_is_not_shared(project: Project) -> None:
    project.write("source_notes/d.md", PLOT)
    (project.root / "build" / ".cache").mkdir(parents=True)
    (project.root / "elsewhere").mkdir()
    (project.root / "build" / ".cache" / "pictures").symlink_to("../../elsewhere")
    commit_all(project.root)
    old = Path.cwd()
    os.chdir(project.root)
    try:
        assert len(notes_at_revision("HEAD", project.root, Path("build"))) == 1
    finally:
        os.chdir(old)
    assert not any((project.root / "elsewhere").iterdir())


def test_preview_changed_since_builds_the_revision_with_its_own_settings(
    project: Project,
) -> None:
    project.write("ankigen.toml", "allow_html = true\n")
    project.write("source_notes/d.md", "# D\n\n## Kept\n\nplain\n\n## Html\n\n<b>bold</b>\n")
    commit_all(project.root)
    project.write("ankigen.toml", "allow_html = false\n")  # the card with HTML shows it as text
    result = project.run("preview", "--changed-since", "HEAD")
    assert result.exit_code == 0, result.stderr
    page = page_with_cards(project.root / "build" / "preview")
    assert re.findall(r'<h3 class="pv-title">([^<]+)</h3>', page) == ["Html"]
