"""The notes of a git revision are built once: `check --against`, `diff --against` and
`preview --changed-since` against the same base take them from the output folder's cache, and
a changed base, a record from elsewhere or an old record is never taken."""

from __future__ import annotations

from pathlib import Path

import pytest

from ankigen.git.revision import notes_at_revision
from ankigen.git.revision_cache import KEPT_REVISIONS

from .conftest import Project, commit_all, git, spy_on_parses
from .preview.folder_text import page_with_cards
from .test_render import PNG


@pytest.fixture
def revision_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files of a revision's checkout that parse_source is called on."""
    monkeypatch.setenv("ANKIGEN_JOBS", "1")  # every stage in this process, where the spy is
    return spy_on_parses(monkeypatch, lambda path: "ankigen-revision-" in str(path))


def _base(project: Project) -> None:
    """A base commit of two note files with a picture, and a working tree that changes one."""
    project.write("source_notes/a.md", "# D\n\n## A\n\n![dot](dot.png)\n\n## Gone\n\nbye\n")
    project.write("source_notes/b.md", "---\ndeck: D\n---\n## B\n\nbee\n")
    (project.root / "source_notes" / "dot.png").write_bytes(PNG)
    project.write(".gitignore", "build/\n")
    commit_all(project.root)
    project.write("source_notes/a.md", "# D\n\n## A\n\n![dot](dot.png) changed\n\n## New\n\nhi\n")


def _records(project: Project) -> list[Path]:
    return sorted((project.root / "build" / ".cache" / "revisions").glob("*.json"))


def _the_three_commands(project: Project) -> list[str]:
    """What CI's three commands against HEAD print."""
    runs = [
        project.run("check", "--against", "HEAD"),
        project.run("diff", "--against", "HEAD", "--format", "markdown"),
        project.run("preview", "--changed-since", "HEAD"),
    ]
    assert [run.exit_code for run in runs] == [0, 0, 0], [run.stderr for run in runs]
    page = page_with_cards(project.root / "build" / "preview")  # the cards in the page
    return [run.stdout + run.stderr for run in runs] + [page]


def test_ci_s_three_commands_build_the_base_once_and_say_the_same(
    project: Project, revision_parses: list[str]
) -> None:
    _base(project)
    first = _the_three_commands(project)
    assert revision_parses == ["a.md", "b.md"]  # by `check`; `diff` and `preview` built nothing
    assert len(_records(project)) == 1
    again = _the_three_commands(project)
    assert revision_parses == ["a.md", "b.md"]
    for record in _records(project):
        record.unlink()
    cold = _the_three_commands(project)  # each built afresh, as before the cache
    assert revision_parses == ["a.md", "b.md"] * 2
    assert first == again == cold
    assert "New" in first[1] and "Gone" in first[1]


def test_a_kept_revision_gives_the_notes_its_build_gave(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    _base(project)
    monkeypatch.chdir(project.root)  # where the command would run: its project is the one checked
    built = notes_at_revision("HEAD", project.root, Path("build"))
    kept = notes_at_revision("HEAD", project.root, Path("build"))
    assert kept == built and len(built) == 3
    assert any(note.media for note in kept)
    only_b = notes_at_revision("HEAD", project.root, Path("build"), [Path("source_notes/b.md")])
    assert [note.identity for note in only_b] == ["b"]  # other paths, other notes


def test_a_new_commit_on_the_base_is_built_afresh(
    project: Project, revision_parses: list[str]
) -> None:
    _base(project)
    assert project.run("diff", "--against", "HEAD").exit_code == 0
    assert revision_parses == ["a.md", "b.md"]
    project.write("README.md", "not a note\n")
    git(project.root, "add", "README.md")
    git(project.root, "commit", "-qm", "readme")
    assert project.run("diff", "--against", "HEAD").exit_code == 0
    assert revision_parses == ["a.md", "b.md"]  # the notes are the same: so is their build
    project.write("source_notes/b.md", "---\ndeck: D\n---\n## B\n\nbumblebee\n")
    git(project.root, "add", "source_notes/b.md")
    git(project.root, "commit", "-qm", "bumblebee")
    project.write("source_notes/b.md", "---\ndeck: D\n---\n## B\n\nbee\n")
    result = project.run("diff", "--against", "HEAD", "--format", "markdown")
    assert revision_parses == ["a.md", "b.md"] * 2
    assert "bumblebee" in result.stdout  # the working tree changed B back: a change from it


def test_a_changed_setting_of_the_base_is_built_afresh(
    project: Project, revision_parses: list[str]
) -> None:
    _base(project)
    assert project.run("check", "--against", "HEAD").exit_code == 0
    project.write("ankigen.toml", "allow_html = true\n")
    commit_all(project.root, "settings")
    assert project.run("check", "--against", "HEAD").exit_code == 0
    assert revision_parses == ["a.md", "b.md"] * 2


def test_only_the_last_few_revisions_are_kept(project: Project) -> None:
    _base(project)
    for number in range(KEPT_REVISIONS + 2):
        project.write("source_notes/c.md", f"---\ndeck: D\n---\n## C\n\nversion {number}\n")
        commit_all(project.root, f"version {number}")
        assert project.run("diff", "--against", "HEAD").exit_code == 0
    assert len(_records(project)) == KEPT_REVISIONS
    (project.root / "build" / ".cache" / "revisions" / "mine.txt").write_text("left alone\n")
    project.write("source_notes/c.md", "---\ndeck: D\n---\n## C\n\nlast\n")
    commit_all(project.root, "last")
    assert project.run("diff", "--against", "HEAD").exit_code == 0
    assert len(_records(project)) == KEPT_REVISIONS
    assert (project.root / "build" / ".cache" / "revisions" / "mine.txt").exists()


def test_a_record_this_machine_did_not_seal_is_never_taken(
    project: Project, revision_parses: list[str]
) -> None:
    _base(project)
    honest = project.run("diff", "--against", "HEAD", "--format", "markdown").stdout
    (record,) = _records(project)
    sealed = record.read_bytes()
    forged = sealed.replace(b"bee", b"wasp")  # edited after sealing: its tag no longer fits
    assert forged != sealed
    record.write_bytes(forged)
    assert project.run("diff", "--against", "HEAD", "--format", "markdown").stdout == honest
    assert revision_parses == ["a.md", "b.md"] * 2
    assert record.read_bytes() != forged  # replaced by a record of ours


def test_a_sealed_record_moved_under_another_revision_s_name_is_not_taken(
    project: Project, revision_parses: list[str]
) -> None:
    _base(project)
    assert project.run("diff", "--against", "HEAD").exit_code == 0
    (old,) = _records(project)
    project.write("source_notes/b.md", "---\ndeck: D\n---\n## B\n\nbumblebee\n")
    commit_all(project.root, "bumblebee")
    assert project.run("diff", "--against", "HEAD").exit_code == 0
    (new,) = set(_records(project)) - {old}
    project.write("source_notes/b.md", "---\ndeck: D\n---\n## B\n\nbee\n")
    new.write_bytes(old.read_bytes())  # the old revision's notes, named as the new one's
    result = project.run("diff", "--against", "HEAD", "--format", "markdown")
    assert revision_parses == ["a.md", "b.md"] * 3
    assert "bumblebee" in result.stdout


def test_a_planted_link_for_the_records_is_not_written_through(
    project: Project, tmp_path: Path
) -> None:
    _base(project)
    outside = tmp_path / "outside"
    outside.mkdir()
    (project.root / "build" / ".cache").mkdir(parents=True)
    (project.root / "build" / ".cache" / "revisions").symlink_to(outside)
    result = project.run("diff", "--against", "HEAD", "--format", "markdown")
    assert result.exit_code == 0 and "New" in result.stdout
    assert not any(outside.iterdir())
