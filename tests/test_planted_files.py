"""Files and links a pull request can commit: nothing is written outside the project, nothing
planted is run, read forever or shipped."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ankigen.preview.page import MATHJAX_BUNDLE

from .conftest import Project, git
from .test_render import PNG


def _media(package: Path) -> list[bytes]:
    with zipfile.ZipFile(package) as archive:
        return [archive.read(name) for name in archive.namelist() if name.isdigit()]


def test_an_output_folder_below_a_link_is_refused_on_the_first_run(
    project: Project, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    project.write("source_notes/d.md", "# D\n\n## A\n\na\n")
    project.write("ankigen.toml", 'output = "out/sub"\n')
    (project.root / "out").symlink_to(elsewhere)
    result = project.build()
    assert result.exit_code == 2  # a setup problem
    assert result.problems == [
        "out/sub:1:1: error: leads outside the project through a link; use a folder inside it"
    ]
    assert list(elsewhere.iterdir()) == []


def test_no_write_leaves_the_project_through_a_link(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "a").symlink_to(elsewhere)
    monkeypatch.chdir(tmp_path / "project")
    from ankigen.storage import UnsafePath, write_atomically

    project = tmp_path / "project"
    with pytest.raises(UnsafePath):
        write_atomically(Path("a/b/file"), b"x", project)
    with pytest.raises(UnsafePath):
        write_atomically(Path("a/file"), b"x", project)
    assert list(elsewhere.iterdir()) == []
    write_atomically(tmp_path / "chosen" / "file", b"x", project)  # outside it: the user's
    assert (tmp_path / "chosen" / "file").read_bytes() == b"x"


def test_a_linked_mathjax_folder_is_not_written_through(project: Project, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    project.write("source_notes/d.md", "# D\n\n## A\n\n$x$\n")
    (project.root / "build" / "preview").mkdir(parents=True)
    (project.root / "build" / "preview" / "mathjax").symlink_to(elsewhere)
    assert project.run("preview").exit_code == 0
    assert list(elsewhere.iterdir()) == []
    mathjax = project.root / "build" / "preview" / "mathjax"
    assert not mathjax.is_symlink() and (mathjax / MATHJAX_BUNDLE).is_file()


def test_planted_preview_scripts_and_media_are_replaced(project: Project) -> None:
    project.write("source_notes/d.md", "# D\n\n## A\n\n![p](p.png) $x$\n")
    (project.root / "source_notes" / "p.png").write_bytes(PNG)
    assert project.run("preview").exit_code == 0
    folder = project.root / "build" / "preview"
    script = folder / "mathjax" / MATHJAX_BUNDLE
    genuine = script.read_bytes()
    extension = folder / "mathjax" / "input" / "tex" / "extensions" / "ams.js"
    extension_bytes = extension.read_bytes()
    [medium] = folder.glob("ankigen-*.png")
    script.write_text("alert(1)")
    extension.unlink()
    extension.symlink_to(project.root / "source_notes" / "d.md")
    stranger = folder / "mathjax" / "input" / "evil.js"
    stranger.write_text("alert(2)")
    medium.write_bytes(b"\0" * len(PNG))  # same name, same size
    assert project.run("preview").exit_code == 0
    assert script.read_bytes() == genuine
    assert not extension.is_symlink() and extension.read_bytes() == extension_bytes
    assert not stranger.exists()
    assert medium.read_bytes() == PNG


def test_a_file_in_the_place_of_the_mathjax_folder_is_replaced(project: Project) -> None:
    project.write("source_notes/d.md", "# D\n\n## A\n\n$x$\n")
    project.write("build/preview/mathjax", "a file in the way")
    assert project.run("preview").exit_code == 0
    assert (project.root / "build" / "preview" / "mathjax" / MATHJAX_BUNDLE).is_file()


def test_a_build_folder_that_git_tracks_is_warned_about(project: Project) -> None:
    project.write("source_notes/d.md", "# D\n\n## A\n\na\n")
    project.write(f"build/preview/mathjax/{MATHJAX_BUNDLE}", "alert(1)")
    git(project.root, "init", "-q")
    git(project.root, "add", "-f", ".")
    result = project.run("preview")
    assert result.exit_code == 0
    assert result.problems == [
        "build:1:1: warning: git tracks 1 file(s) here; ankigen ignores and replaces them"
    ]
    assert "alert(1)" not in (project.root / "build/preview/mathjax" / MATHJAX_BUNDLE).read_text()
    assert project.run("check", "--strict").exit_code == 1


def _run(project: Project, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI in its own process, with a deadline: a planted device must not hang it."""
    return subprocess.run(
        [sys.executable, "-m", "ankigen", *args],
        cwd=project.root,
        env={**os.environ, "SOURCE_DATE_EPOCH": "1700000000"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_planted_links_in_the_cache_and_preview_are_never_read(project: Project) -> None:
    project.write(
        "source_notes/d.md",
        "# D\n\n## A\n\n![p](p.png)\n\n## B\n\n```plot softmax\nlogits: [1, 2]\n```\n",
    )
    (project.root / "source_notes" / "p.png").write_bytes(PNG)
    assert _run(project, "build").returncode == 0
    assert _run(project, "preview").returncode == 0
    build = project.root / "build"
    planted = [
        *(build / ".cache" / "media").iterdir(),
        *(build / ".cache" / "pictures").iterdir(),
        build / ".cache" / "packages.json",
        build / "preview" / "index.html",
        build / "preview" / ".ankigen-preview.json",
    ]
    for path in planted:
        path.unlink()
        path.symlink_to("/dev/zero")
    expected = _media(project.apkg("d"))
    for command in ("check", "build", "preview"):
        done = _run(project, command)
        assert done.returncode == 0, done.stderr
    assert _media(project.apkg("d")) == expected
    assert not (build / "preview" / "index.html").is_symlink()


def test_a_notes_folder_linked_inside_the_project_builds(project: Project) -> None:
    project.write("notes/real/d.md", "# D\n\n## A\n\nb\n")
    (project.root / "source_notes").symlink_to("notes/real")
    for command in ("build", "preview", "check"):
        result = project.run(command)
        assert result.exit_code == 0, result.stderr
    assert project.build("source_notes/d.md").exit_code == 0


def test_a_note_swapped_for_a_link_after_listing_is_not_read(
    project: Project, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import ankigen.sources

    secret = tmp_path / "secret.md"
    secret.write_text("# S\n\n## Secret\n\nthe secret\n")
    note = project.write("source_notes/d.md", "# D\n\n## A\n\na\n")
    listed = ankigen.sources._acceptable

    def swap(*args):  # type: ignore[no-untyped-def]
        found = listed(*args)
        note.unlink()
        note.symlink_to(secret)
        return found

    monkeypatch.setattr(ankigen.sources, "_acceptable", swap)
    result = project.build()
    assert result.exit_code == 1
    assert [p.split(": error: ")[0] for p in result.problems] == ["source_notes/d.md:1:1"]
    assert not project.apkg("d").exists()


def test_leftovers_of_a_killed_build_are_removed_by_the_next(project: Project) -> None:
    project.write("source_notes/d.md", "# D\n\n## A\n\na\n")
    gone = subprocess.Popen(["true"])
    gone.wait()
    build = project.root / "build"
    leftovers = [
        build / f".d.apkg.{gone.pid}.0123456789ab.tmp",
        build / ".cache" / "media" / f".ankigen-x.png.{gone.pid}.0123456789ab.tmp",
    ]
    live = build / f".d.apkg.{os.getpid()}.0123456789ab.tmp"  # another build writing now
    for path in [*leftovers, live]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half")
    assert project.build().exit_code == 0
    assert [path.exists() for path in leftovers] == [False, False]
    assert live.exists()


def test_a_picture_copied_over_with_its_old_time_is_not_stale(project: Project) -> None:
    project.write("source_notes/d.md", "# D\n\n## A\n\n![p](p.png)\n")
    picture = project.root / "source_notes" / "p.png"
    picture.write_bytes(PNG)
    assert project.build().exit_code == 0
    before = os.stat(picture)
    other = PNG[:-1] + bytes([PNG[-1] ^ 1])
    picture.write_bytes(other)
    os.utime(picture, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert project.build().exit_code == 0
    assert _media(project.apkg("d")) == [other]


def test_a_preview_folder_below_a_link_makes_no_folder_outside(
    project: Project, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    project.write("source_notes/d.md", "# D\n\n## A\n\na\n")
    (project.root / "out").symlink_to(elsewhere)
    result = project.run("preview", "-o", "out/preview")
    assert result.exit_code == 1
    assert "leads outside the project through a link" in result.stderr
    assert list(elsewhere.iterdir()) == []


def test_a_build_from_a_sub_folder_writes_nothing_through_a_link(
    project: Project, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    project.write("ankigen.toml", "")
    project.write("source_notes/d.md", "# D\n\n## A\n\na\n")
    (project.root / "out").symlink_to(elsewhere)
    result = Project(project.root / "source_notes").build("-o", "../out/d.apkg")
    assert result.exit_code == 1
    assert "leads outside the project through a link" in result.stderr
    assert list(elsewhere.iterdir()) == []
