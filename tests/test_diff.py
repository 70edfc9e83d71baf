"""`ankigen diff`'s engine: decks read from real packages, compared, and shown in three formats."""

from __future__ import annotations

import json
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from ankigen.build import read_notes
from ankigen.config import Config
from ankigen.diff import (
    DeckDiff,
    Origin,
    PackageContents,
    PackagedNote,
    Rename,
    Span,
    contents_from_notes,
    diff_contents,
    format_diff,
    origins_from_notes,
    read_package,
    rename_advice,
)
from ankigen.errors import Diagnostics
from ankigen.git import repository_root
from ankigen.git.revision import checkout_revision
from ankigen.model import RenderedNote

from .conftest import Project, git
from .test_render import PNG

LONG_TAIL = " ".join(f"word{i}" for i in range(20))

OLD_DECK = f"""
---
tags: [ml]
---
# Deck

## Kept

This card does not change at all.

## Edited

The quick brown fox jumps over the lazy dog, {LONG_TAIL}.

## Gone

This card is deleted in the new version.

## Sum rule for exclusive events

For mutually exclusive events the probability of A or B is P(A) plus P(B).

## Moving {{#moving}}

This card moves into a section.

## Picture

![dot](dot.png)
"""

NEW_DECK = f"""
---
tags: [ml]
---
# Deck

## Kept

This card does not change at all.

## Edited

The quick red fox jumps over the lazy dog, {LONG_TAIL}.

## Sum rule for disjoint events

For mutually exclusive events the probability of A or B is P(A) plus P(B).

## Fresh

A brand new card.

## Picture

![dot](dot2.png)

## Part

### Moving {{#moving}}

This card moves into a section.
"""

TAGGED = """
---
deck: Deck
tags: [{tag}]
---
## Tagged

A card whose tag changes.
"""


def _notes(root: Path) -> list[RenderedNote]:
    """The notes of a build of `root`/source_notes, with paths shown relative to `root`."""
    old_cwd = Path.cwd()
    os.chdir(root)
    try:
        diagnostics = Diagnostics()
        notes = read_notes(Config(), [Path("source_notes")], diagnostics)
    finally:
        os.chdir(old_cwd)
    assert not diagnostics.errors, [str(d) for d in diagnostics]
    return notes


def _build(project: Project, name: str) -> Path:
    result = project.build("source_notes", "-o", name)
    assert result.exit_code == 0, result.stderr
    return project.root / name


@dataclass
class Scenario:
    """A notes repository with two commits, each built into a package."""

    project: Project
    old_apkg: Path
    new_apkg: Path
    old_notes: list[RenderedNote]
    new_notes: list[RenderedNote]

    def diff(self, with_origins: bool = True) -> DeckDiff:
        return diff_contents(
            read_package(self.old_apkg),
            read_package(self.new_apkg),
            old_ids=origins_from_notes(self.old_notes) if with_origins else None,
            new_ids=origins_from_notes(self.new_notes) if with_origins else None,
        )


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    project = Project(tmp_path_factory.mktemp("diff") / "notes-repo")
    project.write("source_notes/deck.md", OLD_DECK)
    project.write("source_notes/tagged.md", TAGGED.format(tag="draft"))
    (project.root / "source_notes" / "dot.png").write_bytes(PNG)
    git(project.root, "init", "-q")
    git(project.root, "add", ".")
    git(project.root, "commit", "-qm", "old")
    old_apkg, old_notes = _build(project, "old.apkg"), _notes(project.root)
    project.write("source_notes/deck.md", NEW_DECK)
    project.write("source_notes/tagged.md", TAGGED.format(tag="reviewed"))
    (project.root / "source_notes" / "dot2.png").write_bytes(PNG + b"\0")
    git(project.root, "add", ".")
    git(project.root, "commit", "-qm", "new")
    new_apkg, new_notes = _build(project, "new.apkg"), _notes(project.root)
    return Scenario(project, old_apkg, new_apkg, old_notes, new_notes)


def _headings(notes: tuple[PackagedNote, ...]) -> list[str]:
    return [note.heading for note in notes]


# --- what the diff finds ---


def test_added_removed_and_changed_notes_are_matched_by_guid(scenario: Scenario) -> None:
    diff = scenario.diff()
    assert _headings(diff.added) == ["Fresh"]
    assert _headings(diff.removed) == ["Gone"]
    assert [c.new.heading for c in diff.changed] == ["Edited", "Picture", "Tagged", "Moving"]
    listed = {n.heading for n in diff.added + diff.removed} | {c.new.heading for c in diff.changed}
    assert "Kept" not in listed
    kept = [n for n in read_package(scenario.new_apkg).notes.values() if n.heading == "Kept"]
    assert len(kept) == 1 and kept[0].guid in read_package(scenario.old_apkg).notes


def test_changed_field_is_a_word_diff_of_its_text(scenario: Scenario) -> None:
    edited = next(c for c in scenario.diff().changed if c.new.heading == "Edited")
    assert [f.name for f in edited.fields] == ["Back"]
    spans = edited.fields[0].spans
    assert spans[:3] == (
        Span("equal", "The quick"),
        Span("delete", "brown"),
        Span("insert", "red"),
    )
    assert spans[3].op == "equal" and spans[3].text.endswith("word19.")


def test_tag_and_deck_changes_are_changes(scenario: Scenario) -> None:
    changes = {c.new.heading: c for c in scenario.diff().changed}
    tagged = changes["Tagged"]
    assert (tagged.old.tags, tagged.new.tags, tagged.fields) == (("draft",), ("reviewed",), ())
    moving = changes["Moving"]
    assert (moving.old.deck, moving.new.deck) == ("Deck", "Deck::Part")
    assert (moving.old.tags, moving.new.tags) == (("ml",), ("Part", "ml"))


def test_media_added_and_removed_and_the_picture_note_changes(scenario: Scenario) -> None:
    diff = scenario.diff()
    old_media = read_package(scenario.old_apkg).media
    new_media = read_package(scenario.new_apkg).media
    assert diff.media_removed == tuple(old_media) and len(old_media) == 1
    assert diff.media_added == tuple(new_media) and len(new_media) == 1
    assert diff.media_changed == ()
    picture = next(c for c in diff.changed if c.new.heading == "Picture")
    assert picture.fields[0].spans == (
        Span("delete", f"[image:{diff.media_removed[0]}]"),
        Span("insert", f"[image:{diff.media_added[0]}]"),
    )


def test_a_renamed_heading_is_a_likely_rename_not_an_add_and_a_remove(scenario: Scenario) -> None:
    diff = scenario.diff()
    assert len(diff.renames) == 1
    rename = diff.renames[0]
    assert rename.old.heading == "Sum rule for exclusive events"
    assert rename.new.heading == "Sum rule for disjoint events"
    assert 0.8 <= rename.similarity < 1
    assert rename.old.guid not in {n.guid for n in diff.removed}
    assert rename.new.guid not in {n.guid for n in diff.added}
    assert rename_advice(rename) == (
        "add `{#sum-rule-for-exclusive-events}` to the heading at source_notes/deck.md:14"
    )
    unknown = scenario.diff(with_origins=False).renames[0]
    assert rename_advice(unknown) == "give the new heading the old card's `{#id}`"


def test_following_the_rename_advice_keeps_the_old_guid(tmp_path: Path) -> None:
    project = Project(tmp_path / "repo")
    body = "The gradient of the loss with respect to every weight, layer by layer.\n"
    project.write("source_notes/d.md", f"# D\n\n## Backprop\n\n{body}")
    old = _build(project, "old.apkg")
    old_notes = _notes(project.root)
    project.write("source_notes/d.md", f"# D\n\n## Backpropagation\n\n{body}")
    diff = diff_contents(
        read_package(old),
        read_package(_build(project, "new.apkg")),
        old_ids=origins_from_notes(old_notes),
        new_ids=origins_from_notes(_notes(project.root)),
    )
    advice = rename_advice(diff.renames[0])
    identity = re.fullmatch(r"add `\{#(\S+)\}` to the heading at source_notes/d.md:3", advice)
    assert identity is not None, advice
    project.write("source_notes/d.md", f"# D\n\n## Backpropagation {{#{identity[1]}}}\n\n{body}")
    followed = diff_contents(read_package(old), read_package(_build(project, "fixed.apkg")))
    assert (followed.renames, followed.added, followed.removed) == ((), (), ())
    assert [c.new.heading for c in followed.changed] == ["Backpropagation"]


def test_rename_advice_never_suggests_an_id_the_parser_rejects(tmp_path: Path) -> None:
    project = Project(tmp_path / "repo")
    body = "The gradient of the loss with respect to every weight, layer by layer.\n"
    project.write("source_notes/d.md", f"# D\n\n## Training\n\n### Backprop\n\n{body}")
    old = _build(project, "old.apkg")
    old_ids = origins_from_notes(_notes(project.root))
    project.write("source_notes/d.md", f"# D\n\n## Training\n\n### Backpropagation\n\n{body}")
    new_ids = origins_from_notes(_notes(project.root))
    new = read_package(_build(project, "new.apkg"))
    diff = diff_contents(read_package(old), new, old_ids=old_ids, new_ids=new_ids)
    advice = rename_advice(diff.renames[0])
    suggested = re.search(r"add `\{#([^}]+)\}`", advice)
    if suggested is None:
        assert "`training/backprop` cannot be written as an `{#id}`" in advice
    else:  # ids that hold a '/' became valid: the advice must then work
        heading = f"### Backpropagation {{#{suggested[1]}}}"
        project.write("source_notes/d.md", f"# D\n\n## Training\n\n{heading}\n\n{body}")
        fixed = read_package(_build(project, "fixed.apkg"))
        assert set(fixed.notes) == set(read_package(old).notes)


def test_rename_advice_pins_the_namespace_when_the_deck_was_renamed() -> None:
    note = PackagedNote("g", "ankigen Basic", {"Front": "Q"}, (), "D")
    rename = Rename(
        note,
        note,
        1.0,
        (),
        Origin("q", "old-deck", "notes/a.md:3"),
        Origin("q", "new-deck", "notes/a.md:3"),
    )
    assert rename_advice(rename) == "pin `namespace: old-deck` in the front matter of notes/a.md"


def test_each_removed_note_pairs_with_its_best_match_only() -> None:
    def note(guid: str, back: str) -> PackagedNote:
        return PackagedNote(guid, "ankigen Basic", {"Front": "Q", "Back": back}, (), "D")

    text = "a fairly long answer about gradient descent and its learning rate"
    old = PackageContents({"o": note("o", text)}, {})
    new = PackageContents({"a": note("a", text + " schedule"), "b": note("b", text)}, {})
    diff = diff_contents(old, new)
    assert [(r.old.guid, r.new.guid, r.similarity) for r in diff.renames] == [("o", "b", 1.0)]
    assert _headings(diff.added) == ["Q"] and diff.added[0].guid == "a"


def test_notes_of_a_build_read_as_their_package_does(scenario: Scenario) -> None:
    assert contents_from_notes(scenario.new_notes) == read_package(scenario.new_apkg)
    assert contents_from_notes(scenario.old_notes) == read_package(scenario.old_apkg)


def test_a_package_diffed_with_itself_is_empty(scenario: Scenario) -> None:
    same = read_package(scenario.new_apkg)
    diff = diff_contents(same, same)
    assert diff.empty
    nothing = (
        f"Anki will add 0 notes, update 0 and leave {len(same.notes)} alone for a student who "
        "has the old release (by note times, as Anki decides)."
    )
    assert format_diff(diff, "text") == f"{nothing}\nNo card changes.\n"
    assert format_diff(diff, "markdown") == f"**{nothing}**\n\nNo card changes.\n"
    data = json.loads(format_diff(diff, "json"))
    assert set(data["summary"].values()) == {0} and data["warnings"] == []


def test_what_is_not_a_package_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "notes.apkg").write_text("not a zip")
    with pytest.raises(ValueError, match="not an Anki package"):
        read_package(tmp_path / "notes.apkg")
    with zipfile.ZipFile(tmp_path / "empty.apkg", "w") as archive:
        archive.writestr("media", "{}")
    with pytest.raises(ValueError, match="no collection inside"):
        read_package(tmp_path / "empty.apkg")


# --- formats ---


def test_text_format_lists_one_line_per_note_and_word_diffs(scenario: Scenario) -> None:
    lines = format_diff(scenario.diff(), "text").splitlines()
    assert lines[0].startswith("Anki will add 2 notes, update ")
    assert lines[1] == (
        "1 added, 4 changed, 1 removed, 1 likely rename, 1 media file added, 1 media file removed"
    )
    assert "added    Deck: Fresh" in lines
    assert "removed  Deck: Gone" in lines
    assert "changed  Deck::Part: Moving" in lines
    assert "    Back: The quick [-brown-] {+red+} fox jumps over the lazy dog, …" in lines
    assert "    deck: [-Deck-] {+Deck::Part+}" in lines
    assert "    tags: [-draft-] {+reviewed+}" in lines
    renamed = lines.index(
        "renamed? Deck: Sum rule for exclusive events -> Deck: Sum rule for disjoint events "
        f"({scenario.diff().renames[0].similarity:.0%} similar)"
    )
    assert lines[renamed + 1] == (
        "    would reset its review history: "
        "add `{#sum-rule-for-exclusive-events}` to the heading at source_notes/deck.md:14"
    )
    assert lines[renamed + 2] == "    Front: Sum rule for [-exclusive-] {+disjoint+} events"
    assert lines.index("added    Deck: Fresh") < lines.index("changed  Deck::Part: Moving")


def test_markdown_format_has_a_headline_and_sections(scenario: Scenario) -> None:
    text = format_diff(scenario.diff(), "markdown")
    assert text.startswith("**Anki will add 2 notes, update ")
    assert (
        "\n\n**1 added, 4 changed, 1 removed, 1 likely rename, 1 media file added, "
        "1 media file removed**\n"
    ) in text
    sections = re.findall(r"^### (.+)$", text, re.MULTILINE)
    assert sections == ["Warnings", "Added", "Changed", "Removed", "Likely renames", "Media"]
    assert "  - Back: The quick ~~brown~~ **red** fox" in text
    assert (
        "importing would reset its review history; "
        "add `{#sum-rule-for-exclusive-events}` to the heading at source\\_notes/deck.md:14\n"
    ) in text


def test_markdown_shows_card_text_literally() -> None:
    def note(back: str) -> PackagedNote:
        return PackagedNote("g", "ankigen Basic", {"Front": "Q", "Back": back}, (), "D")

    old = PackageContents({"g": note("<p>a*b costs $5</p>")}, {})
    new = PackageContents({"g": note("<p>a*b costs $6 &lt;script&gt; | x_1</p>")}, {})
    text = format_diff(diff_contents(old, new), "markdown")
    assert r"  - Back: a\*b costs ~~\$5~~ **\$6 &lt;script&gt; \| x\_1**" in text


def test_a_change_of_markup_alone_is_named_so() -> None:
    def note(back: str) -> PackagedNote:
        return PackagedNote("g", "ankigen Basic", {"Front": "Q", "Back": back}, (), "D")

    old = PackageContents({"g": note("<p>a b</p>")}, {})
    new = PackageContents({"g": note("<p><strong>a</strong> b</p>")}, {})
    assert format_diff(diff_contents(old, new), "text").splitlines()[2:] == [
        "changed  D: Q",
        "    Back: (markup only)",
    ]


def test_json_format_is_structured_and_stable(scenario: Scenario) -> None:
    text = format_diff(scenario.diff(), "json")
    assert text == format_diff(scenario.diff(), "json")
    data = json.loads(text)
    assert data["summary"] == {
        "added": 1,
        "changed": 4,
        "removed": 1,
        "renames": 1,
        "media_added": 1,
        "media_changed": 0,
        "media_removed": 1,
    }
    assert [n["heading"] for n in data["added"]] == ["Fresh"]
    edited = next(c for c in data["changed"] if c["new"]["heading"] == "Edited")
    assert edited["fields"][0]["name"] == "Back"
    assert edited["fields"][0]["spans"][1:3] == [
        {"op": "delete", "text": "brown"},
        {"op": "insert", "text": "red"},
    ]
    rename = data["renames"][0]
    assert rename["old_identity"] == "sum-rule-for-exclusive-events"
    assert rename["new_location"] == "source_notes/deck.md:14"
    assert rename["old"]["guid"] != rename["new"]["guid"]
    assert list(data) == sorted(data)


def test_an_unknown_format_is_refused(scenario: Scenario) -> None:
    with pytest.raises(ValueError, match="unknown diff format 'html'"):
        format_diff(scenario.diff(), "html")


# --- git revisions ---


def test_checkout_revision_lays_out_an_old_commit(scenario: Scenario, tmp_path: Path) -> None:
    subfolder = scenario.project.root / "source_notes"
    assert repository_root(subfolder) == scenario.project.root.resolve()
    old = checkout_revision(subfolder, "HEAD~1", tmp_path / "old")
    assert old == tmp_path / "old"
    assert (old / "source_notes" / "deck.md").read_text() == OLD_DECK.lstrip("\n")
    new = checkout_revision(subfolder, "HEAD", tmp_path / "new")
    assert (new / "source_notes" / "deck.md").read_text() == NEW_DECK.lstrip("\n")
    assert not (old / "source_notes" / "dot2.png").exists()
    assert not (old / ".git").exists()
    assert contents_from_notes(_notes(old)) == read_package(scenario.old_apkg)


def test_checkout_revision_rejects_unknown_refs_and_folders_outsidegit(
    scenario: Scenario, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="unknown git revision 'no-such-branch'"):
        checkout_revision(scenario.project.root, "no-such-branch", tmp_path / "x")
    with pytest.raises(ValueError, match="invalid git revision '--output=x'"):
        checkout_revision(scenario.project.root, "--output=x", tmp_path / "x")
    (tmp_path / "plain").mkdir()
    with pytest.raises(ValueError, match="not in a git repository"):
        checkout_revision(tmp_path / "plain", "HEAD", tmp_path / "y")
