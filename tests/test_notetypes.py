"""Note types: their time moves only when they change, their field and template ids never do,
and both do what they are for in a real Anki collection."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ankigen import package
from ankigen.model import PackageNote
from ankigen.notetypes import BASIC, CLOZE, NOTE_TYPES, NoteType, card_css

from .conftest import Project, import_apkg

# Every version of each note type that packages have carried, oldest first: its `changed` time
# and the digest of what the package holds of it (fields, templates, CSS; all but its time).
# A change to a note type adds a row here and moves its `changed` in ankigen/notetypes.py.
VERSIONS: dict[str, list[tuple[int, str]]] = {
    "ankigen Basic": [
        (1_795_910_400, "010680d236144bf1aebda8c5fcf84577a980c1325f1245afbbc4701d95b1fe34"),
        (1_795_970_128, "4e7437d0a99f9044029bbb4e75dc3720fe08ea1812f93b3d2caecc0eebec786b"),
        (1_795_991_600, "6bb78e6135768c71bb7ff25bd8413b7f2c0090edc2a8b4f32cab95682e3f9d40"),
    ],
    "ankigen Cloze": [
        (1_795_910_400, "af0a8e278ad695d0202aa11cf0162ba2c8675f2dae2a139b0faadf32ac4f7d54"),
        (1_795_970_128, "0deac651a6a0806849b62dee57b1540224201e830104efa3f1ad6f95d03bd366"),
        (1_795_991_600, "e43f933278f2842d9001507d0bdaf4c2c2e7d70e95efda7cdb7da22ffbf785da"),
    ],
    "ankigen Basic (and reversed)": [
        (1_795_991_600, "be751604d060e776485298eb3ba4f513cb6e40a0701d2620861f88fe7fe8e1bc"),
    ],
    "ankigen Type-in": [
        (1_795_991_600, "6e2f9997796e4b429a557d38954497698c1656878d0313a874c43a02be4d2140"),
    ],
}

# The ids Anki matches fields and templates by: they must never change. The reversed and type-in
# note types share the Basic's, so that merging note types keeps a basic note's card.
FIELD_IDS = {
    "ankigen Basic": (1113174452, 1297840466, 1528459128),
    "ankigen Cloze": (1731902205, 1082243580, 1130184006),
    "ankigen Basic (and reversed)": (1113174452, 1297840466, 1528459128),
    "ankigen Type-in": (1113174452, 1297840466, 1528459128, 2061586137),
}
TEMPLATE_IDS = {
    "ankigen Basic": (1101264985,),
    "ankigen Cloze": (2039418685,),
    "ankigen Basic (and reversed)": (1101264985, 1716931159),
    "ankigen Type-in": (1101264985,),
}


def _digest(note_type: NoteType) -> str:
    content = {k: v for k, v in package.note_type_json(note_type).items() if k != "mod"}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


@pytest.mark.parametrize("note_type", NOTE_TYPES.values(), ids=NOTE_TYPES.keys())
def test_a_note_type_changes_only_with_a_new_time(note_type: NoteType) -> None:
    versions = VERSIONS[note_type.name]
    times = [when for when, _ in versions]
    assert times == sorted(set(times)), f"{note_type.name}: each version needs a later time"
    last_time, last_digest = versions[-1]
    digest, now = _digest(note_type), int(time.time())
    assert digest == last_digest, (
        f"{note_type.name} changed (its fields, templates or CSS; a new Pygments changes the "
        "code colours too), but students' collections keep their copy unless its time moves. "
        f"Set its `changed` in ankigen/notetypes.py to now ({now}), and add "
        f'({now}, "{digest}") to VERSIONS in tests/test_notetypes.py.'
    )
    assert note_type.changed == last_time, (
        f"{note_type.name}'s `changed` is {note_type.changed}, but its newest version in "
        f"tests/test_notetypes.py has {last_time}: a time moves only with a new version."
    )
    assert note_type.changed <= now, "a note type's time may not be in the future"


def test_field_and_template_ids_are_fixed_and_distinct() -> None:
    for note_type in NOTE_TYPES.values():
        assert note_type.field_ids == FIELD_IDS[note_type.name]
        assert tuple(t.id for t in note_type.templates) == TEMPLATE_IDS[note_type.name]
        assert len(note_type.field_ids) == len(note_type.fields) == len(set(note_type.field_ids))
        assert len(set(TEMPLATE_IDS[note_type.name])) == len(note_type.templates)


def test_the_package_holds_each_note_types_own_time_not_the_notes(
    project: Project, tmp_path: Path
) -> None:
    import sqlite3
    import zipfile

    project.write("source_notes/d.md", "# D\n\n## A\n\na\n\n## B\n\n{{c1::b}}\n")
    assert project.build(epoch=1_700_000_000).exit_code == 0
    with zipfile.ZipFile(project.apkg("d")) as archive:
        (tmp_path / "c.anki2").write_bytes(archive.read("collection.anki2"))
    with sqlite3.connect(tmp_path / "c.anki2") as db:
        (models,) = db.execute("SELECT models FROM col").fetchone()
    times = {model["name"]: model["mod"] for model in json.loads(models).values()}
    assert times == {nt.name: nt.changed for nt in (BASIC, CLOZE)}  # the note types it uses


# In a real collection, with Anki's default import options unless said otherwise.


def _models(col) -> dict[str, dict]:  # type: ignore[no-untyped-def,type-arg]
    col.models._clear_cache()
    return {model["name"]: model for model in col.models.all() if "ankigen" in model["name"]}


@pytest.fixture
def restyled(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """ankigen with a changed CSS, its note types' times moved a day on, as its maintainer would."""
    for kind, note_type in NOTE_TYPES.items():
        later = dataclasses.replace(note_type, changed=note_type.changed + 86_400)
        monkeypatch.setitem(NOTE_TYPES, kind, later)
    monkeypatch.setattr(package, "card_css", lambda: card_css() + ".ankigen { color: teal; }\n")
    yield


def test_a_release_that_changes_only_the_css_restyles_existing_collections(
    collection,  # type: ignore[no-untyped-def]
    project: Project,
    request: pytest.FixtureRequest,
) -> None:
    project.write("source_notes/d.md", "# D\n\n## A\n\na\n\n## B\n\n{{c1::b}}\n")
    assert project.build("-o", "first.apkg").exit_code == 0
    import_apkg(collection, project.root / "first.apkg")
    request.getfixturevalue("restyled")
    assert project.build("-o", "second.apkg").exit_code == 0  # the same notes and times
    log = import_apkg(collection, project.root / "second.apkg")
    assert len(log.updated) == 0 and len(log.new) == 0
    models = _models(collection)
    assert sorted(models) == ["ankigen Basic", "ankigen Cloze"]
    assert all("color: teal" in model["css"] for model in models.values())
    card = collection.get_card(collection.find_cards("")[0])
    assert "color: teal" in card.render_output().css


def test_a_students_css_survives_releases_whose_note_types_did_not_change(
    collection,  # type: ignore[no-untyped-def]
    project: Project,
) -> None:
    project.write("source_notes/d.md", "# D\n\n## A\n\na\n\n## B\n\n{{c1::b}}\n")
    assert project.build(epoch=1_700_000_000).exit_code == 0
    import_apkg(collection, project.apkg("d"))
    for model in _models(collection).values():
        model["css"] += ".card { font-size: 30px; }\n"  # the student's own, saved now
        collection.models.update_dict(model)
    project.write("source_notes/d.md", "# D\n\n## A\n\nnew a\n\n## B\n\n{{c1::new b}}\n")
    next_year = int(time.time()) + 365 * 86_400  # every note newer than the student's edit
    assert project.build(epoch=next_year).exit_code == 0
    log = import_apkg(collection, project.apkg("d"))
    assert len(log.updated) == 2
    models = _models(collection)
    assert sorted(models) == ["ankigen Basic", "ankigen Cloze"]
    assert all("font-size: 30px" in model["css"] for model in models.values())


def _ids(col) -> dict[str, tuple[list[int], list[int]]]:  # type: ignore[no-untyped-def]
    return {
        name: ([f["id"] for f in model["flds"]], [t["id"] for t in model["tmpls"]])
        for name, model in _models(col).items()
    }


def test_field_and_template_ids_arrive_and_stay(collection, project: Project) -> None:  # type: ignore[no-untyped-def]
    project.write("source_notes/d.md", "# D\n\n## A\n\na\n\n## B\n\n{{c1::b}}\n")
    assert project.build("-o", "first.apkg").exit_code == 0
    import_apkg(collection, project.root / "first.apkg")
    expected = {
        name: (list(FIELD_IDS[name]), list(TEMPLATE_IDS[name]))
        for name in ("ankigen Basic", "ankigen Cloze")
    }
    assert _ids(collection) == expected
    project.write("source_notes/d.md", "# D\n\n## A\n\nnew a\n\n## B\n\n{{c1::new b}}\n")
    assert project.build("-o", "second.apkg", epoch=1_700_000_100).exit_code == 0
    assert len(import_apkg(collection, project.root / "second.apkg").updated) == 2
    assert _ids(collection) == expected


def test_a_student_who_renames_a_field_still_gets_the_next_release(
    collection,  # type: ignore[no-untyped-def]
    project: Project,
) -> None:
    project.write("source_notes/d.md", "# D\n\n## A\n\na\n")
    assert project.build(epoch=1_700_000_000).exit_code == 0
    import_apkg(collection, project.apkg("d"))
    model = _models(collection)["ankigen Basic"]
    collection.models.rename_field(model, model["flds"][1], "Answer")
    collection.models.update_dict(model)
    project.write("source_notes/d.md", "# D\n\n## A\n\nnew a\n")
    assert project.build(epoch=1_700_000_100).exit_code == 0
    log = import_apkg(collection, project.apkg("d"))
    # Matched by id, the note type is the same: without ids Anki makes "ankigen Basic+".
    assert sorted(_models(collection)) == ["ankigen Basic"]
    assert len(log.updated) == 1 and len(log.conflicting) == 0
    note = collection.get_note(collection.find_notes("")[0])
    assert "new a" in note["Answer"]


def _import(col, path: Path, **options: bool) -> object:  # type: ignore[no-untyped-def]
    from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest

    request = ImportAnkiPackageRequest(
        package_path=str(path), options=ImportAnkiPackageOptions(**options)
    )
    return col.import_anki_package(request).log


@pytest.mark.parametrize("merge", [False, True], ids=["default", "merge note types"])
def test_a_field_added_to_a_note_type_needs_merge_note_types(
    collection,  # type: ignore[no-untyped-def]
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    merge: bool,
) -> None:
    """What Anki does if ankigen ever adds a field: with merge, one note type with every id."""
    note = PackageNote("g", "basic", ("A", "a", ""), "D", (), 1_700_000_000, (0,))
    package.write_apkg(tmp_path / "first.apkg", [note], [], note.modified, tmp_path)
    _import(collection, tmp_path / "first.apkg")
    wider = dataclasses.replace(
        BASIC,
        fields=(*BASIC.fields, "Extra"),
        field_ids=(*BASIC.field_ids, 1_234_567_890),
        changed=BASIC.changed + 86_400,
    )
    monkeypatch.setitem(NOTE_TYPES, "basic", wider)
    newer = note._replace(fields=("A", "new a", "", "x"), modified=1_700_000_100)
    package.write_apkg(tmp_path / "second.apkg", [newer], [], newer.modified, tmp_path)
    log = _import(collection, tmp_path / "second.apkg", merge_notetypes=merge)
    models = _models(collection)
    if not merge:
        assert sorted(models) == ["ankigen Basic", "ankigen Basic+"]
        assert len(log.conflicting) == 1  # and the note never updates again
        return
    assert sorted(models) == ["ankigen Basic"]
    assert [f["id"] for f in models["ankigen Basic"]["flds"]] == [
        *FIELD_IDS["ankigen Basic"],
        1_234_567_890,
    ]
    # Anki rewrote the student's notes to add the field, at the time of the import: so this
    # release's own change to the note, older than that, is skipped.
    assert len(log.conflicting) == 0 and len(log.updated) == 0
