"""`diff --against REF` and `preview --changed-since REF` read a revision from anyone's history:
only its notes, their pictures and its settings are taken, never through a link out of them."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import ankigen.git.revision
import ankigen.git.tree
from ankigen.git.revision import checkout_revision

from .conftest import Project, git
from .preview.folder_text import page_with_cards
from .test_render import PNG

NOTES = "# D\n\n## Kept\n\nkept\n"


def _commit(project: Project) -> None:
    git(project.root, "init", "-q")
    git(project.root, "add", "-f", ".")
    git(project.root, "commit", "-qm", "hostile")


def test_a_notes_link_that_leaves_the_tree_through_another_link_is_not_followed(
    project: Project, tmp_path: Path
) -> None:
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "s.md").write_text("# S\n\n## Secret heading\n\nthe secret\n")
    project.root.mkdir()
    (project.root / "zz").symlink_to(".")
    # read as written it stays in the tree; with zz -> . it climbs to the file system's top
    target = "zz/" * 16 + "../" * 16 + str(secret).lstrip("/")
    (project.root / "source_notes").symlink_to(target)
    _commit(project)
    (project.root / "source_notes").unlink()
    project.write("source_notes/d.md", NOTES)
    result = project.run("diff", "--against", "HEAD")
    assert result.exit_code == 0, result.stderr
    assert "Secret" not in result.stdout
    result = project.run("preview", "--changed-since", "HEAD")
    assert result.exit_code == 0, result.stderr
    assert "Secret" not in page_with_cards(project.root / "build" / "preview")


def test_only_the_notes_pictures_and_settings_are_taken(project: Project, tmp_path: Path) -> None:
    project.write("ankigen.toml", 'source = "notes"\n')
    project.write("notes/d.md", NOTES)
    project.write("notes/.hidden/x.md", NOTES)
    project.write("notes/data.csv", "a,b\n")
    (project.root / "notes" / "p.png").write_bytes(PNG)
    (project.root / "notes" / "inside.md").symlink_to("d.md")
    (project.root / "notes" / "outside.md").symlink_to("../elsewhere.md")
    project.write("elsewhere.md", "# E\n\n## Elsewhere\n\nx\n")
    (project.root / "big.bin").write_bytes(os.urandom(1 << 20))
    _commit(project)
    tree = checkout_revision(project.root, "HEAD", tmp_path / "t", ["ankigen.toml", "notes"])
    found = sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*") if p.is_file())
    assert found == ["ankigen.toml", "notes/d.md", "notes/inside.md", "notes/p.png"]
    assert not any(p.is_symlink() for p in tree.rglob("*"))
    for link in ("inside.md", "outside.md"):  # a working tree without their problems
        (project.root / "notes" / link).unlink()
    result = project.run("diff", "--against", "HEAD", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert "Elsewhere" not in result.stdout


def test_a_notes_folder_linked_inside_the_revision_is_read(project: Project) -> None:
    project.write("real/d.md", NOTES)
    (project.root / "source_notes").symlink_to("real")
    _commit(project)
    result = project.run("diff", "--against", "HEAD")
    assert result.exit_code == 0, result.stderr
    assert "No card changes." in result.stdout


def test_revisions_too_large_are_refused_and_large_files_left_out(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for index in range(20):  # one blob, many names: a small repository, a large tree
        project.write(f"source_notes/copy{index}.md", NOTES + "x" * 4000)
    (project.root / "source_notes" / "huge.png").write_bytes(PNG + b"\0" * 5000)
    _commit(project)
    monkeypatch.setattr(ankigen.git.revision, "MAX_PICTURE_BYTES", 4096)
    tree = checkout_revision(project.root, "HEAD", tmp_path / "a", ["source_notes"])
    assert not (tree / "source_notes" / "huge.png").exists()
    monkeypatch.setattr(ankigen.git.revision, "MAX_REVISION_BYTES", 50_000)
    with pytest.raises(ValueError, match="more than the 0 MiB ankigen reads"):
        checkout_revision(project.root, "HEAD", tmp_path / "b", ["source_notes"])
    assert not (tmp_path / "b").exists()


def test_a_tree_of_nested_copies_is_refused_not_listed_forever(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.write("source_notes/d.md", NOTES)
    _commit(project)
    folder = git(project.root, "rev-parse", "HEAD:source_notes").strip()
    tree = folder
    for _ in range(6):  # each level holds its lower level 10 times: a million files
        entries = "".join(f"040000 tree {tree}\tc{index}\n" for index in range(10))
        done = subprocess.run(
            ["git", "mktree"], cwd=project.root, input=entries, capture_output=True, text=True
        )
        tree = done.stdout.strip()
    root = subprocess.run(
        ["git", "mktree"],
        cwd=project.root,
        input=f"040000 tree {tree}\tsource_notes\n",
        capture_output=True,
        text=True,
    ).stdout.strip()
    commit = git(project.root, "commit-tree", root, "-m", "bomb").strip()
    monkeypatch.setattr(ankigen.git.tree, "MAX_REVISION_ENTRIES", 20_000)
    with pytest.raises(ValueError, match="more than 20000 files"):
        checkout_revision(project.root, commit, tmp_path / "t", ["source_notes"])
