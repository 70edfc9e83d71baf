"""What `ankigen diff` says an import does to a student who has the old release, held against
what Anki's own importer does with the same two packages."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ankigen import notetimes
from ankigen.diff import PackageContents, PackagedNote, diff_contents, read_package

from .conftest import Project, git, import_apkg

T1, T2 = 1_700_000_000, 1_700_086_400  # the two releases' commit times

# One card per file, so that a file's commit time is its note's time whatever the build's
# policy for times: Anki's decisions then follow from what changed.
OLD_FILES = {
    "kept.md": "# D\n\n## Kept\n\nsame\n",
    "edited.md": "# D\n\n## Edited\n\nold words\n",
    "typed.md": "# D\n\n## Typed\n\nplain answer\n",
    "clozed.md": "# D\n\n## Clozed\n\n{{c1::one}} and {{c2::two}}\n",
    "moves.md": "# D\n\n## Moves\n\nmoving card\n",
    "gone.md": "# D\n\n## Gone\n\nbye\n",
    "retagged.md": "# D\n\n## Retagged\n\nr\n",
    "e1.md": "# E\n\n## One\n\nfirst\n",
    "e2.md": "# E\n\n## Two\n\nsecond\n",
}
NEW_FILES = {
    **OLD_FILES,
    "edited.md": "# D\n\n## Edited\n\nnew words\n",
    "typed.md": "# D\n\n## Typed\n\nnow {{c1::cloze}}\n",
    "clozed.md": "# D\n\n## Clozed\n\n{{c1::one}} and two\n",
    "moves.md": "# D\n\n## Sub\n\n### Moves {#moves}\n\nmoving card\n",
    "fresh.md": "# D\n\n## Fresh\n\nhello\n",
    "e1.md": "# E renamed\n\n## One\n\nfirst\n",
    "e2.md": "# E renamed\n\n## Two\n\nsecond\n",
}
del NEW_FILES["gone.md"]


@dataclass
class Release:
    """A notes repository with two commits, each built as a package; HEAD is the new one."""

    project: Project
    old_apkg: Path
    new_apkg: Path

    def diff(self, *args: str) -> str:
        result = self.project.run("diff", *args, epoch=None)
        assert result.exit_code == 0, result.stderr
        return result.stdout

    def diff_json(self, *args: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.diff(*args, "--format", "json"))
        return data


def _write_release(project: Project, files: dict[str, str], when: int) -> None:
    folder = project.root / "source_notes"
    for old in folder.glob("*.md") if folder.exists() else ():
        old.unlink()
    for name, text in files.items():
        project.write(f"source_notes/{name}", text)
    git(project.root, "add", "-A")
    git(project.root, "commit", "-qm", f"release at {when}", when=when)


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Release]:
    project = Project(tmp_path_factory.mktemp("effects") / "notes-repo")
    project.root.mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("SOURCE_DATE_EPOCH", raising=False)
        # The releases are dated before ankigen's last rendering change, whose time would be
        # every note's: these tests are about what changed between the two commits.
        patch.setattr(notetimes, "RENDERING_CHANGED", 0)
        git(project.root, "init", "-q")
        project.write(".gitignore", "build/\n")  # a build/ git tracks is warned about
        _write_release(project, OLD_FILES, T1)
        assert project.build("-o", "old.apkg", epoch=None).exit_code == 0
        _write_release(project, NEW_FILES, T2)
        assert project.build("-o", "new.apkg", epoch=None).exit_code == 0
        yield Release(project, project.root / "old.apkg", project.root / "new.apkg")


def _retimed(apkg: Path, out: Path, times: dict[str, int]) -> Path:
    """A copy of the package whose notes with these headings carry these times."""
    guids = {note.heading: guid for guid, note in read_package(apkg).notes.items()}
    with zipfile.ZipFile(apkg) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    database = out.with_suffix(".anki2")
    database.write_bytes(next(data for info, data in entries if info.filename.endswith("anki2")))
    with sqlite3.connect(database) as db:
        for heading, when in times.items():
            db.execute("update notes set mod = ? where guid = ?", (when, guids[heading]))
    db.close()
    with zipfile.ZipFile(out, "w") as copy:
        for info, data in entries:
            copy.writestr(info, database.read_bytes() if info.filename.endswith("anki2") else data)
    return out


def _log_counts(log: Any) -> dict[str, int]:
    return {
        "added": len(log.new),
        "updated": len(log.updated),
        "conflicting": len(log.conflicting),
        "left_alone_but_removed": len(log.duplicate) + len(log.conflicting),
    }


def _counts(effect: dict[str, Any]) -> dict[str, int]:
    return {
        "added": effect["added"],
        "updated": effect["updated"],
        "conflicting": effect["conflicting"],
        "left_alone_but_removed": effect["left_alone"] - effect["removed"],
    }


def _notes(col: Any, query: str) -> list[Any]:
    return [col.get_note(nid) for nid in col.find_notes(query)]


# --- the first line: Anki's import log, foretold ---


def test_the_counts_are_those_of_ankis_import_log(release: Release, collection: Any) -> None:
    packages = release.diff_json(str(release.old_apkg), str(release.new_apkg))["import"]
    against = release.diff_json("--against", "HEAD~1")["import"]
    import_apkg(collection, release.old_apkg)
    log = import_apkg(collection, release.new_apkg)
    assert _counts(packages) == _counts(against) == _log_counts(log)
    # Fresh and the two cards of the renamed deck are new; Edited, Clozed and Moves change;
    # Typed changes type; Kept and Retagged do not change; Gone, One and Two are not in it.
    assert {k: v for k, v in packages.items() if k != "rule"} == {
        "added": 3,
        "updated": 3,
        "conflicting": 1,
        "removed": 3,
        "left_alone": 6,
    }
    assert (packages["rule"], against["rule"]) == ("times", "changes")
    text = release.diff(str(release.old_apkg), str(release.new_apkg))
    assert text.splitlines()[0] == (
        "Anki will add 3 notes, update 3 and leave 6 alone for a student who has the old "
        "release (by note times, as Anki decides)."
    )
    assert release.diff("--against", "HEAD~1").splitlines()[0] == (
        "Anki will add 3 notes, update 3 and leave 6 alone for a student who has the old "
        "release (by changed fields, tags and note types)."
    )


def test_packages_are_judged_by_their_note_times(
    release: Release, collection: Any, tmp_path: Path
) -> None:
    # Retagged is unchanged but newer; Edited is changed but no newer than before.
    new = _retimed(release.new_apkg, tmp_path / "new.apkg", {"Retagged": T2, "Edited": T1})
    data = release.diff_json(str(release.old_apkg), str(new))
    import_apkg(collection, release.old_apkg)
    log = import_apkg(collection, new)
    assert _counts(data["import"]) == _log_counts(log)
    assert data["import"]["updated"] == 3  # Clozed, Moves, Retagged
    (edited,) = _notes(collection, '"Front:Edited"')
    assert edited["Back"] == "<p>old words</p>"  # the change did not arrive
    warnings = {w["kind"]: w for w in data["warnings"]}
    assert warnings["change_not_newer"]["heading"] == "Edited"
    assert warnings["change_not_newer"]["where"] == "edited.md"
    assert warnings["updated_unchanged"]["message"] == (
        "1 note will be updated though its fields, tags and note type are the same, because its "
        "time is newer: Anki replaces students' own edits and tags on it; a note's time should "
        "move only when the note changes"
    )


def test_a_revision_without_times_is_judged_by_what_changed() -> None:
    def note(back: str, tags: tuple[str, ...] = (), when: int | None = None) -> PackagedNote:
        fields = {"Front": "Q", "Back": back}
        return PackagedNote("g", "ankigen Basic", fields, tags, "D", (0,), when)

    def effect(old: PackagedNote, new: PackagedNote) -> tuple[int, int, bool]:
        result = diff_contents(PackageContents({"g": old}, {}), PackageContents({"g": new}, {}))
        assert result.effect is not None
        return result.effect.updated, result.effect.left_alone, result.effect.by_times

    assert effect(note("a"), note("a")) == (0, 1, False)
    assert effect(note("a"), note("b")) == (1, 0, False)
    assert effect(note("a"), note("a", ("t",))) == (1, 0, False)
    assert effect(note("a", when=5), note("a", when=6)) == (1, 0, True)
    assert effect(note("a", when=5), note("b", when=5)) == (0, 1, True)
    assert effect(note("a", when=5), note("b")) == (1, 0, False)  # one side has no times


def test_a_changed_field_list_makes_every_note_conflicting() -> None:
    old = PackagedNote("g", "ankigen Basic", {"Front": "Q", "Back": "A"}, (), "D", (0,), 1)
    new = PackagedNote("g", "ankigen Basic", {"Front": "Q", "Back": "A", "Extra": ""}, (), "D")
    effect = diff_contents(PackageContents({"g": old}, {}), PackageContents({"g": new}, {})).effect
    assert effect is not None and (effect.updated, effect.conflicting) == (0, 1)
    (caveat,) = effect.caveats
    assert caveat.kind == "note_type_changed"
    assert "Anki adds a second note type `ankigen Basic+`" in caveat.message


# --- the warnings: what Anki will not do, and where to act ---


def test_what_anki_leaves_undone_is_what_the_warnings_say(
    release: Release, collection: Any
) -> None:
    import_apkg(collection, release.old_apkg)
    import_apkg(collection, release.new_apkg)
    (moves,) = [collection.get_card(c) for c in collection.find_cards('"Front:Moves"')]
    assert collection.decks.name(moves.did) == "D"  # not D::Sub
    (typed,) = _notes(collection, '"Front:Typed"')
    assert typed.note_type()["name"] == "ankigen Basic"
    assert len(collection.find_cards('"Heading:Clozed"')) == 2  # c2's card is left, empty
    assert len(_notes(collection, '"Front:Gone"')) == 1
    assert len(_notes(collection, '"Front:One"')) == 2  # the renamed deck's duplicates

    warnings = {
        (w["kind"], w["where"]): w for w in release.diff_json("--against", "HEAD~1")["warnings"]
    }
    assert set(warnings) == {
        ("deck_changed", "source_notes/moves.md:5"),
        ("note_type_changed", "source_notes/typed.md:3"),
        ("cloze_removed", "source_notes/clozed.md:3"),
        ("note_removed", "source_notes/gone.md:3"),
        ("namespace_changed", "source_notes/e1.md:1"),
        ("namespace_changed", "source_notes/e2.md:1"),
    }
    assert "keep it in `D`" in warnings["deck_changed", "source_notes/moves.md:5"]["message"]
    typed_warning = warnings["note_type_changed", "source_notes/typed.md:3"]["message"]
    assert "give the card a new `{#id}`" in typed_warning
    assert "Tools > Empty Cards" in warnings["cloze_removed", "source_notes/clozed.md:3"]["message"]
    assert "never deletes notes" in warnings["note_removed", "source_notes/gone.md:3"]["message"]
    namespace = warnings["namespace_changed", "source_notes/e1.md:1"]["message"]
    assert "from `e` to `e-renamed`" in namespace and "pin `namespace: e`" in namespace


def test_every_format_shows_every_warning(release: Release) -> None:
    text = release.diff("--against", "HEAD~1").splitlines()
    assert text[1] == "1 added, 4 changed, 1 removed, 2 likely renames"
    assert text[2] == (
        "source_notes/clozed.md:3: warning: Clozed: cloze c2 removed: students who have it keep "
        'an empty card that shows "No cloze 2 found on card" until they run Tools > Empty '
        "Cards; say so in the release notes, or keep the number"
    )
    located = [line.partition(": warning: ")[0] for line in text if ": warning: " in line]
    assert located == [
        "source_notes/clozed.md:3",
        "source_notes/e1.md:1",
        "source_notes/e2.md:1",
        "source_notes/gone.md:3",
        "source_notes/moves.md:5",
        "source_notes/typed.md:3",
    ]
    markdown = release.diff("--against", "HEAD~1", "--format", "markdown")
    section = markdown.split("### Warnings\n\n")[1].split("\n\n")[0].splitlines()
    assert len(section) == 6
    assert section[0].startswith("- source\\_notes/clozed.md:3: **Clozed**: cloze c2 removed")
    assert (
        "- source\\_notes/typed.md:3: **Typed**: its note type changes from "
        + ("`ankigen Basic` to `ankigen Cloze`")
        in markdown
    )


def test_two_packages_name_the_file_and_heading(release: Release) -> None:
    data = release.diff_json(str(release.old_apkg), str(release.new_apkg))
    found = {(w["kind"], w["where"], w["heading"]) for w in data["warnings"]}
    assert found == {
        ("deck_changed", "moves.md", "Moves"),
        ("note_type_changed", "typed.md", "Typed"),
        ("cloze_removed", "clozed.md", "Clozed"),
        ("note_removed", "gone.md", "Gone"),
        ("namespace_changed", "e1.md", ""),
    }
    (namespace,) = [w for w in data["warnings"] if w["kind"] == "namespace_changed"]
    assert namespace["message"].startswith("2 notes of deck `E` have new GUIDs")
    text = release.diff(str(release.old_apkg), str(release.new_apkg))
    assert "\ngone.md: warning: Gone: removed, but Anki never deletes notes" in text


# --- check --against: a changed namespace fails ---


def test_check_against_fails_on_a_namespace_change_and_pinning_fixes_it(
    release: Release, tmp_path: Path
) -> None:
    project = release.project
    result = project.run("check", "--against", "HEAD~1", epoch=None)
    assert result.exit_code == 1
    assert result.problems == [
        f"source_notes/{name}:1:1: error: since HEAD~1, the namespace of its notes changes "
        "from `e` to `e-renamed`, so Anki takes its 1 note for new ones and every student who "
        "has the old release gets a second copy; pin `namespace: e` in its front matter (or "
        '`namespace = "e"` in the configuration)'
        for name in ("e1.md", "e2.md")
    ]
    github = project.run("check", "--against", "HEAD~1", "--format", "github", epoch=None)
    assert github.exit_code == 1
    assert "::error file=source_notes/e1.md,line=1,col=1::since HEAD~1" in github.stdout
    assert project.run("check", "--against", "HEAD", epoch=None).exit_code == 0
    assert project.run("check", epoch=None).exit_code == 0

    pinned = "---\nnamespace: e\n---\n"
    try:
        for name in ("e1.md", "e2.md"):
            project.write(f"source_notes/{name}", pinned + NEW_FILES[name])
        assert project.run("check", "--against", "HEAD~1", epoch=None).exit_code == 0
        data = release.diff_json("--against", "HEAD~1")
        assert data["import"]["added"] == 1  # Fresh only: One and Two keep their GUIDs
        assert "namespace_changed" not in {w["kind"] for w in data["warnings"]}
    finally:
        for name in ("e1.md", "e2.md"):
            project.write(f"source_notes/{name}", NEW_FILES[name])


def test_check_against_an_unknown_revision_is_a_clear_error(release: Release) -> None:
    result = release.project.run("check", "--against", "no-such-ref", epoch=None)
    assert result.exit_code == 1
    assert "unknown git revision 'no-such-ref'" in result.stderr
