"""The .apkg itself: byte-identical rebuilds, fixed archive entries, note times, atomic writes."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import zipfile
from pathlib import Path

import pytest

from .conftest import SEED_NOTES, Project, commit_each


def _build_seed(project: Project, name: str, epoch: int = 1_700_000_000) -> bytes:
    result = project.build(str(SEED_NOTES), "-o", name, epoch=epoch)
    assert result.exit_code == 0, result.stderr
    return (project.root / name).read_bytes()


def test_same_sources_and_epoch_give_identical_bytes(project: Project) -> None:
    project.root.mkdir()
    first = _build_seed(project, "one.apkg")
    copy = project.root / "copy"
    shutil.copytree(SEED_NOTES, copy)
    os.utime(copy / "deep-learning-flashcards.md", (1, 1))  # file times must not matter
    result = project.build(str(copy), "-o", "copy.apkg")
    assert result.exit_code == 0
    assert (project.root / "copy.apkg").read_bytes() == first  # nor the folder's name
    old_umask = os.umask(0o077)
    try:
        second = _build_seed(project, "two.apkg")
    finally:
        os.umask(old_umask)
    assert first == second
    assert _build_seed(project, "three.apkg", epoch=1_700_000_001) != first


def test_archive_entries_are_fixed_and_ordered(project: Project) -> None:
    from .test_render import PNG

    project.write("source_notes/d.md", "# D\n\n## B\n\n![b](b.png)\n\n## A\n\n![a](a.png)\n")
    (project.root / "source_notes" / "a.png").write_bytes(PNG)
    (project.root / "source_notes" / "b.png").write_bytes(PNG + b"\0")
    assert project.build().exit_code == 0
    with zipfile.ZipFile(project.apkg("d")) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == ["collection.anki2", "media", "0", "1"]
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert {i.external_attr >> 16 for i in infos} == {0o100644}
        media = archive.read("media").decode()
        assert media.startswith('{"0": "ankigen-') and media.count("ankigen-") == 2
    assert oct(project.apkg("d").stat().st_mode & 0o777) == "0o644"


def _note_times(apkg: Path, tmp_path: Path) -> dict[str, int]:
    with zipfile.ZipFile(apkg) as archive:
        (tmp_path / "c.anki2").write_bytes(archive.read("collection.anki2"))
    with sqlite3.connect(tmp_path / "c.anki2") as db:
        rows = db.execute("select flds, mod from notes").fetchall()
    return {fields.split("\x1f")[0]: mod for fields, mod in rows}


def test_note_times_follow_git_commits_and_edits(project: Project, tmp_path: Path) -> None:
    project.write("source_notes/old.md", "# D\n\n## Old\n\nold\n")
    project.write("source_notes/new.md", "---\ndeck: D\n---\n## New\n\nnew\n")
    commit_each(
        project.root, {"source_notes/old.md": 1_600_000_000, "source_notes/new.md": 1_650_000_000}
    )

    assert project.build(epoch=None).exit_code == 0
    assert _note_times(project.apkg("d"), tmp_path) == {"Old": 1_600_000_000, "New": 1_650_000_000}

    edited = project.write("source_notes/new.md", "---\ndeck: D\n---\n## New\n\nedited\n")
    fresh = project.write("source_notes/untracked.md", "---\ndeck: D\n---\n## Fresh\n\nx\n")
    os.utime(edited, (1_760_000_000, 1_760_000_000))
    os.utime(fresh, (1_770_000_000, 1_770_000_000))
    assert project.build(epoch=None).exit_code == 0
    times = _note_times(project.apkg("d"), tmp_path)
    # Uncommitted changes carry the file's modification time: newer than its commit, and the
    # same on every rebuild of an unchanged working tree.
    assert times == {"Old": 1_600_000_000, "New": 1_760_000_000, "Fresh": 1_770_000_000}
    first = project.apkg("d").read_bytes()
    assert project.build(epoch=None).exit_code == 0
    assert project.apkg("d").read_bytes() == first


def test_source_date_epoch_sets_every_note_time(project: Project, tmp_path: Path) -> None:
    project.write("source_notes/d.md", "# D\n\n## A\n\na\n\n## B\n\nb\n")
    assert project.build(epoch=1_234_567_890).exit_code == 0
    assert set(_note_times(project.apkg("d"), tmp_path).values()) == {1_234_567_890}


def test_a_failing_write_leaves_the_old_package_and_no_temporary_files(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ankigen import package

    project.write("source_notes/d.md", "# D\n\n## A\n\na\n")
    target = project.apkg("d")
    target.parent.mkdir()
    target.write_bytes(b"old")

    def explode(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(package, "_add", explode)
    result = project.build()
    assert result.exit_code == 1
    assert result.stderr == "Error: cannot write build/d.apkg: disk full\n"
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in target.parent.iterdir()) == [".cache", "d.apkg"]


def test_the_collection_is_sound_and_has_every_index_of_the_schema(
    project: Project, tmp_path: Path
) -> None:
    from genanki.apkg_schema import APKG_SCHEMA

    project.write("source_notes/d.md", "# D\n\n## A\n\na\n\n## B\n\n{{c1::b}} {{c2::c}}\n")
    assert project.build().exit_code == 0
    with zipfile.ZipFile(project.apkg("d")) as archive:
        (tmp_path / "c.anki2").write_bytes(archive.read("collection.anki2"))
    with sqlite3.connect(tmp_path / "c.anki2") as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        indexes = {
            name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        }
        plan = db.execute("EXPLAIN QUERY PLAN SELECT id FROM cards WHERE nid = 1").fetchall()
    expected = set(re.findall(r"CREATE INDEX (\w+)", APKG_SCHEMA))
    assert len(expected) == 7 and expected <= indexes
    assert "ix_cards_nid" in str(plan)
