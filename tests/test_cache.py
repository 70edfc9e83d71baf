"""The notes cache: unchanged files are neither parsed nor rendered again, and never stale."""

from __future__ import annotations

import sqlite3
import zipfile
from pathlib import Path

import pytest

from .conftest import Project, spy_on_parses
from .test_render import PNG


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files parse_source is called on."""
    return spy_on_parses(monkeypatch)


def _two_files(project: Project) -> None:
    project.write(
        "source_notes/a.md", "# D\n\n## A\n\n![dot](dot.png)\n\n## W\n\n```klingon\nx\n```\n"
    )
    project.write("source_notes/b.md", "---\ndeck: D\n---\n## B\n\nbee\n")
    (project.root / "source_notes" / "dot.png").write_bytes(PNG)


def test_a_warm_build_parses_nothing_and_gives_the_same_bytes(
    project: Project, parsed: list[str]
) -> None:
    _two_files(project)
    cold = project.build()
    first = project.apkg("d").read_bytes()
    assert parsed == ["a.md", "b.md"]
    warm = project.build()
    assert parsed == ["a.md", "b.md"]  # nothing new
    assert project.apkg("d").read_bytes() == first
    assert warm.problems == cold.problems != []  # the warning is still reported


def test_a_cold_build_parses_each_file_once_while_its_pictures_are_drawn(
    project: Project, parsed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files whose plots and SVG formulas are not drawn yet are rendered once, then finished."""
    monkeypatch.setenv("ANKIGEN_JOBS", "1")  # every stage in this process, where the spy is
    project.write("ankigen.toml", 'math = "svg"\n')
    plot = "```plot softmax\nlogits: [2, 1, 0]\n```\n"
    project.write("source_notes/a.md", f"# D\n\n## A\n\n{plot}\n## F\n\nIt is $x^2$.\n")
    project.write("source_notes/b.md", "---\ndeck: D\n---\n## B\n\n$$\\frac{1}{2}$$\n")
    project.write("source_notes/c.md", "---\ndeck: D\n---\n## C\n\nno picture\n")
    cold = project.build()
    assert cold.exit_code == 0, cold.stderr
    assert parsed == ["a.md", "b.md", "c.md"]
    with zipfile.ZipFile(project.apkg("d")) as archive:
        assert len(archive.namelist()) == 2 + 3  # collection, media list, three pictures
    first = project.apkg("d").read_bytes()
    (project.root / "build" / ".cache" / "notes.sqlite").unlink()  # pictures cached, notes not
    warm = project.build()
    assert parsed == ["a.md", "b.md", "c.md"] * 2
    assert (warm.problems, project.apkg("d").read_bytes()) == (cold.problems, first)


def test_one_changed_file_is_parsed_again(project: Project, parsed: list[str]) -> None:
    _two_files(project)
    project.build()
    project.write("source_notes/b.md", "---\ndeck: D\n---\n## B\n\nbumblebee\n")
    project.build()
    assert parsed == ["a.md", "b.md", "b.md"]


def test_a_changed_picture_renders_its_file_again(project: Project, parsed: list[str]) -> None:
    _two_files(project)
    project.build()
    (project.root / "source_notes" / "dot.png").write_bytes(PNG + b"\0")
    project.build()
    assert parsed == ["a.md", "b.md", "a.md"]
    with zipfile.ZipFile(project.apkg("d")) as archive:
        assert archive.read("0") == PNG + b"\0"


def test_a_picture_added_later_clears_the_cached_error(project: Project) -> None:
    project.write("source_notes/a.md", "# D\n\n## A\n\n![dot](dot.png)\n")
    assert project.build().exit_code == 1
    (project.root / "source_notes" / "dot.png").write_bytes(PNG)
    assert project.build().exit_code == 0


def test_tampered_cached_media_are_not_trusted(project: Project) -> None:
    _two_files(project)
    project.build()
    (media,) = (project.root / "build" / ".cache" / "media").iterdir()
    media.write_bytes(b"<svg><script>alert(1)</script></svg>")
    assert project.build().exit_code == 0
    with zipfile.ZipFile(project.apkg("d")) as archive:
        assert archive.read("0") == PNG


def test_changed_settings_miss_the_cache(project: Project, parsed: list[str]) -> None:
    _two_files(project)
    project.build()
    project.write("ankigen.toml", 'code_language = "python"\n')
    project.build()
    assert parsed == ["a.md", "b.md", "a.md", "b.md"]


def test_check_reads_the_cache_too_and_reports_what_a_fresh_check_would(
    project: Project, parsed: list[str]
) -> None:
    project.write("source_notes/a.md", "# D\n\n## A\n\n```klingon\nx\n```\n")
    project.write(
        "source_notes/b.md", "---\ndeck: D\n---\n## B\n\n$\\begin{aligned}a\\end{aligned}$\n"
    )
    project.write("ankigen.toml", 'math = "svg"\n')
    fresh = project.run("check")
    built = project.build()
    assert len(built.problems) == len(fresh.problems) + 1  # the formula left to MathJax
    parsed.clear()
    checked = project.run("check")
    assert parsed == []
    assert checked.problems == fresh.problems


def _rewrite_entries(project: Project, change) -> None:  # type: ignore[no-untyped-def]
    """Apply `change` to every sealed entry of the notes cache, as an intruder could."""
    with sqlite3.connect(project.root / "build" / ".cache" / "notes.sqlite") as db:
        entries = db.execute("SELECT key, sealed FROM entries").fetchall()
        assert entries
        db.executemany(
            "UPDATE entries SET sealed = ? WHERE key = ?", [(change(s), k) for k, s in entries]
        )


def test_a_corrupt_entry_is_ignored(project: Project, parsed: list[str]) -> None:
    _two_files(project)
    project.build()
    _rewrite_entries(project, lambda sealed: b"{ not json")
    assert project.build().exit_code == 0
    assert parsed == ["a.md", "b.md", "a.md", "b.md"]


def test_entries_this_machine_did_not_write_are_not_trusted(
    project: Project, parsed: list[str]
) -> None:
    """A pull request could commit a build/.cache of its own making: it must not reach a deck."""
    _two_files(project)
    project.build()
    # b's field only: a bare b"bee" also turned up, now and then, in the hex of a's seal or key
    forged = b"<p><script>alert(1)</script></p>"
    _rewrite_entries(project, lambda sealed: sealed.replace(b"<p>bee</p>", forged))
    assert project.build().exit_code == 0
    assert parsed == ["a.md", "b.md", "b.md"]  # b's entry was forged, a's untouched
    with zipfile.ZipFile(project.apkg("d")) as archive:
        assert b"<script>" not in archive.read("collection.anki2")


def test_an_unchanged_package_is_not_written_again(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ankigen import package

    _two_files(project)
    assert project.build().exit_code == 0
    first = project.apkg("d").read_bytes()

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("an unchanged package must not be written again")

    monkeypatch.setattr(package, "write_apkg", refuse)
    assert project.build().exit_code == 0
    monkeypatch.undo()
    project.apkg("d").write_bytes(b"damaged")  # a package changed on disk is written again
    assert project.build().exit_code == 0
    assert project.apkg("d").read_bytes() == first
    project.write("source_notes/b.md", "---\ndeck: D\n---\n## B\n\nbumblebee\n")
    assert project.build().exit_code == 0
    assert project.apkg("d").read_bytes() != first


def test_a_new_note_time_alone_writes_the_package_again(project: Project) -> None:
    """The text is unchanged, so every file comes from the cache, but the notes' time is part
    of the package (it decides Anki's updates)."""
    _two_files(project)
    assert project.build(epoch=1_700_000_000).exit_code == 0
    first = project.apkg("d").read_bytes()
    assert project.build(epoch=1_800_000_000).exit_code == 0
    later = project.apkg("d").read_bytes()
    assert later != first
    assert project.build(epoch=1_700_000_000).exit_code == 0
    assert project.apkg("d").read_bytes() == first


def test_library_versions_are_read_as_importlib_reads_them() -> None:
    from importlib import metadata

    from ankigen.fingerprint import _LIBRARIES, _library_versions

    versions = _library_versions()
    assert set(versions) == set(_LIBRARIES)
    for library, version in versions.items():
        assert version == metadata.version(library), library


@pytest.mark.parametrize(
    "planted",
    [
        b"not a database at all",
        "CREATE TABLE entries (key TEXT PRIMARY KEY, sealed BLOB NOT NULL);"
        "CREATE TABLE spy (x);"
        "CREATE TRIGGER t AFTER INSERT ON entries BEGIN INSERT INTO spy VALUES (1); END;",
        "CREATE TABLE real (key TEXT, sealed BLOB);"
        "CREATE VIEW entries AS SELECT key, sealed FROM real;",
    ],
)
def test_a_notes_database_that_is_not_ours_is_replaced(
    project: Project, parsed: list[str], planted: bytes | str
) -> None:
    """build/ can arrive in a pull request: a planted database is neither trusted nor run."""
    _two_files(project)
    database = project.root / "build" / ".cache" / "notes.sqlite"
    database.parent.mkdir(parents=True)
    if isinstance(planted, bytes):
        database.write_bytes(planted)
    else:
        with sqlite3.connect(database) as db:
            db.executescript(planted)
    assert project.build().exit_code == 0
    assert parsed == ["a.md", "b.md"]
    with sqlite3.connect(database) as db:
        names = [row[0] for row in db.execute("SELECT name FROM sqlite_master ORDER BY name")]
    assert names == ["entries", "sqlite_autoindex_entries_1"]
    assert project.build().exit_code == 0
    assert parsed == ["a.md", "b.md"]  # and the new one serves the next build


def test_a_cache_that_cannot_be_written_only_costs_time(
    project: Project, parsed: list[str]
) -> None:
    _two_files(project)
    database = project.root / "build" / ".cache" / "notes.sqlite"
    database.mkdir(parents=True)  # a folder where the database should be
    assert project.build().exit_code == 0
    assert project.build().exit_code == 0
    assert parsed == ["a.md", "b.md", "a.md", "b.md"]


def test_a_planted_link_in_place_of_the_database_is_never_written_through(
    project: Project, parsed: list[str], tmp_path: Path
) -> None:
    _two_files(project)
    outside = tmp_path / "outside"
    outside.mkdir()
    existing, missing = outside / "theirs.db", outside / "created.db"
    with sqlite3.connect(existing) as db:
        db.execute("CREATE TABLE mine (x)")
    before = existing.read_bytes()
    database = project.root / "build" / ".cache" / "notes.sqlite"
    database.parent.mkdir(parents=True)
    for target in (existing, missing):
        database.unlink(missing_ok=True)
        database.symlink_to(target)
        assert project.run("check").exit_code == 0
        assert database.is_symlink()  # check changes nothing
        assert project.build().exit_code == 0
        assert not database.is_symlink() and database.is_file()
    assert existing.read_bytes() == before
    assert not missing.exists()


def test_check_leaves_a_foreign_database_as_it_is(project: Project) -> None:
    _two_files(project)
    database = project.root / "build" / ".cache" / "notes.sqlite"
    database.parent.mkdir(parents=True)
    database.write_bytes(b"garbage, not a database")
    assert project.run("check").exit_code == 0
    assert database.read_bytes() == b"garbage, not a database"
    assert sorted(p.name for p in database.parent.iterdir()) == ["notes.sqlite"]


def test_a_damaged_database_is_replaced_by_the_next_build(
    project: Project, parsed: list[str]
) -> None:
    for i in range(60):  # enough entries for several pages
        project.write(f"source_notes/f{i:02d}.md", f"---\ndeck: D\n---\n## C{i}\n\n{'x' * 3000}\n")
    assert project.build().exit_code == 0
    database = project.root / "build" / ".cache" / "notes.sqlite"
    data = bytearray(database.read_bytes())
    data[4096 : 4096 * 3] = b"\xff" * 8192  # pages 2 and 3
    database.write_bytes(bytes(data))
    parsed.clear()
    assert project.build().exit_code == 0
    assert len(parsed) == 60  # nothing could be read
    parsed.clear()
    assert project.build().exit_code == 0
    assert parsed == []  # the database was made anew


def test_a_sealed_entry_moved_under_another_files_key_is_not_trusted(
    project: Project, parsed: list[str]
) -> None:
    """Keys come from public inputs: a stranger must not pass one file's notes off as another's."""
    _two_files(project)
    assert project.build().exit_code == 0
    with sqlite3.connect(project.root / "build" / ".cache" / "notes.sqlite") as db:
        entries = dict(db.execute("SELECT key, sealed FROM entries").fetchall())
        a_key = next(k for k, s in entries.items() if b"dot.png" in s or b"klingon" in s)
        b_key = next(k for k in entries if k != a_key)
        db.execute("UPDATE entries SET sealed = ? WHERE key = ?", (entries[a_key], b_key))
    parsed.clear()
    assert project.build().exit_code == 0
    assert parsed == ["b.md"]
    with zipfile.ZipFile(project.apkg("d")) as archive:
        assert b"bee" in archive.read("collection.anki2")


def test_libraries_installed_as_eggs_are_read_too(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from ankigen.fingerprint import _library_versions

    (tmp_path / "Pygments-2.99-py3.11.egg-info").mkdir()
    monkeypatch.syspath_prepend(str(tmp_path))
    assert _library_versions()["pygments"] == "2.99"


def test_a_served_rebuild_reads_parses_and_unseals_only_what_changed(
    project: Project, parsed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--serve` reads the notes again on every save, in one process: a file still as it was is
    neither read, parsed nor unsealed again, and what is read equals a fresh process's."""
    from dataclasses import replace

    from ankigen import build, cache, sources, storage
    from ankigen.build import read_notes
    from ankigen.config import Config
    from ankigen.context import Context
    from ankigen.errors import Diagnostics

    _two_files(project)
    project.write("source_notes/c.md", "---\ndeck: D\n---\n## C\n\nsea\n")
    config = Config(source=project.root / "source_notes", output=project.root / "build")
    now = Context.from_environment(cwd=project.root)
    later = replace(now, clock=lambda: now.clock() + 10)  # the files have been still for 10 s
    notes = [project.root / "source_notes"]
    reads: list[str] = []
    unseals: list[int] = []

    def read_regular(path: Path, *args: object, **kwargs: object) -> bytes:
        reads.append(path.name)
        return storage.read_regular(path, *args, **kwargs)  # type: ignore[arg-type]

    def unseal(self: storage.Storage, blob: bytes) -> bytes | None:
        unseals.append(1)
        return real_unseal(self, blob)

    real_unseal = storage.Storage.unseal
    monkeypatch.setattr(sources, "read_regular", read_regular)
    monkeypatch.setattr(storage.Storage, "unseal", unseal)

    def read() -> tuple[list[object], list[object]]:
        found = Diagnostics()
        return list(read_notes(config, notes, found, context=later)), list(found.items)

    read()  # parsed and rendered, and stored
    first = read()  # unsealed from the cache
    assert parsed == ["a.md", "b.md", "c.md"]
    reads.clear()
    unseals.clear()
    assert read() == first
    assert (reads, unseals, parsed) == ([], [], ["a.md", "b.md", "c.md"])

    project.write("source_notes/b.md", "---\ndeck: D\n---\n## B\n\nbumblebee\n")
    served = read()
    assert reads == ["b.md"] and parsed[3:] == ["b.md"] and unseals == []
    for memo in (sources._READ, sources._SHOWN, cache._DECODED, cache._KEYS, build._KEPT):
        memo.clear()  # as a fresh process starts
    assert read() == served
    assert "bumblebee" in str(served[0])
