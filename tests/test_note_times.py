"""A note's time moves exactly when what it shows changes: worked out from the git history."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import zipfile
from pathlib import Path

import pytest

from ankigen import notetimes
from ankigen.notetimes import split_cards

from .conftest import RENDERING_CHANGED, REPO, Project, git, import_apkg

T0 = 1_750_000_000  # the first commit; every later step is a day on
DAY = 86_400


def times(project: Project, epoch: int | None = None) -> dict[str, int]:
    """Build, and read each note's time by its first field's text."""
    result = project.build("-q", epoch=epoch)
    assert result.exit_code == 0, result.stderr
    (apkg,) = (project.root / "build").glob("*.apkg")
    with zipfile.ZipFile(apkg) as archive:
        data = archive.read("collection.anki2")
    db = sqlite3.connect(":memory:")
    db.deserialize(data)
    found = {}
    for mod, fields in db.execute("SELECT mod, flds FROM notes"):
        found[fields.split("\x1f")[0]] = mod
    return found


def commit(project: Project, when: int, message: str = "notes") -> None:
    git(project.root, "add", "-A")
    git(project.root, "commit", "-qm", message, when=when)


def tag(project: Project, name: str, when: int) -> None:
    git(project.root, "tag", "-a", name, "-m", name, when=when)


DECK = """
# Deck

## Alpha

alpha body

## Beta

beta body

## Gamma

gamma body
"""


@pytest.fixture
def repo(project: Project) -> Project:
    project.write("source_notes/deck.md", DECK)
    project.write(".gitignore", "build/\n")
    git(project.root, "init", "-q")
    commit(project, T0)
    return project


# --- splitting a file version into cards, without rendering ---------------------------------


def test_cards_are_found_outside_code_fences_with_their_lines_and_keys() -> None:
    text = (
        "---\ntags: [x]\n---\n# T\n\n## A {#a}\n\n```\n## not a card\n```\n\n## B\n\n### C\n\nc\n"
    )
    cards = split_cards(text, "deck.md", "")
    assert [(c.line, c.key[1:]) for c in cards] == [(6, ("#", "a")), (12, ("B",)), (14, ("B", "C"))]


def test_a_card_digest_covers_its_lines_and_what_it_shows_from_outside_them() -> None:
    base = "# T\n\n[r]: https://e.org/1\n\n## A\n\nbody [x][r]\n\n## B\n\nb\n"

    def digests(text: str, relative: str = "deck.md", settings: str = "") -> list[str]:
        return [card.digest for card in split_cards(text, relative, settings)]

    a, b = digests(base)
    assert digests(base.replace("body", "body!")) == [digests(base.replace("body", "body!"))[0], b]
    assert digests(base.replace("body", "body!"))[0] != a
    assert digests(base.replace("/1", "/2")) == [digests(base.replace("/1", "/2"))[0], b]
    assert digests(base.replace("/1", "/2"))[0] != a  # the link definitions it refers to
    assert digests(base, settings="deck=Other\nnamespace=x") == [a, b]  # not shown
    assert digests("---\ndeck: Other\n---\n" + base) == [a, b]
    assert digests(base, "other.md") != [a, b]  # the Source field
    assert digests(base, settings="allow_html=True") != [a, b]
    assert digests("---\ntags: [t]\n---\n" + base) != [a, b]
    assert digests(base.replace("# T", "# Renamed")) == [a, b]  # the deck is no field
    # A card put before it moves its lines, not what it shows.
    moved = split_cards(base.replace("## A", "## New\n\nn\n\n## A"), "deck.md", "")
    assert (moved[1].digest, moved[1].line) == (a, split_cards(base, "deck.md", "")[0].line + 4)


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("A {#a}", "a"),
        ("A {#a}  ", "a"),
        ("A {#x{#y}", "y"),
        ("A } {#b}", "b"),
        ("A {#a .reversed}", "a"),
        ("A {.type #b}", "b"),
        ('A {tags="x y" #c}', "c"),
        ("A {: #d}", "d"),
        ("A {#a} b", None),
        ("A", None),
        ("A {#a}}", None),
        ("A \\{#e}", None),
        ("Sets {a, b}", None),
        ("{#{#{#", None),
    ],
)
def test_explicit_ids_are_found_as_the_parser_finds_them(
    heading: str, expected: str | None
) -> None:
    from .helpers import parse

    assert notetimes.explicit_id(heading) == expected
    cards, _ = parse(f"# D\n\n## {heading}\n\nbody\n")
    if expected is not None:
        assert [c.identity for c in cards] == [expected]
    else:
        from slugify import slugify

        assert [c.identity for c in cards] == [slugify(heading) or heading.lower()]


def test_hostile_headings_are_split() -> None:
    """Headings that make a backtracking pattern quadratic (minutes at this size) split."""
    hostile = "# T\n\n## a" + "{#" * 50_000 + "\n\n" + "## b" + " #" * 50_000 + "x\n"
    assert [card.line for card in split_cards(hostile, "d.md", "")] == [3, 5]


@pytest.mark.parametrize(
    "text", ["", "no headings at all\n", "---\ntags: [a]\n---\n", "# Title only\n"]
)
def test_files_without_cards_split_into_none(text: str) -> None:
    assert split_cards(text, "d.md", "") == []


def test_pictures_are_named_inside_the_notes_folder() -> None:
    (card,) = split_cards(
        "# T\n\n## A\n\n![x](../img/a.png) ![y](https://e.org/b.png)\n", "sub/d.md", ""
    )
    assert card.pictures == ("img/a.png",)


# --- times from the history ------------------------------------------------------------------


def test_unchanged_notes_keep_the_release_time_and_changed_ones_take_their_commit(
    repo: Project,
) -> None:
    tag(repo, "v1", T0 + DAY)
    repo.write("source_notes/deck.md", DECK.replace("beta body", "beta, edited"))
    commit(repo, T0 + 2 * DAY)
    repo.write(
        "source_notes/deck.md",
        DECK.replace("beta body", "beta, edited").replace("## Gamma", "## New\n\nnew\n\n## Gamma"),
    )
    commit(repo, T0 + 3 * DAY)
    assert times(repo) == {
        "Alpha": T0 + DAY,
        "Beta": T0 + 2 * DAY,
        "New": T0 + 3 * DAY,
        "Gamma": T0 + DAY,  # its lines moved down; it shows the same
    }
    # A release build of the next tag: what changed since v1 carries v2's time.
    tag(repo, "v2", T0 + 4 * DAY)
    assert times(repo, epoch=T0 + 4 * DAY) == {
        "Alpha": T0 + DAY,
        "Beta": T0 + 4 * DAY,
        "New": T0 + 4 * DAY,
        "Gamma": T0 + DAY,
    }
    # Later commits that do not touch a note leave every time as it was.
    repo.write("README.md", "readme")
    commit(repo, T0 + 5 * DAY)
    assert times(repo)["Beta"] == T0 + 4 * DAY


def test_content_put_back_takes_the_release_that_put_it_back(repo: Project) -> None:
    tag(repo, "v1", T0 + DAY)
    repo.write("source_notes/deck.md", DECK.replace("beta body", "beta, edited"))
    commit(repo, T0 + 2 * DAY)
    tag(repo, "v2", T0 + 3 * DAY)
    repo.write("source_notes/deck.md", DECK)
    commit(repo, T0 + 4 * DAY)
    tag(repo, "v3", T0 + 5 * DAY)
    # A student with v2 has "edited": the old text must come back with a newer time.
    assert times(repo, epoch=T0 + 5 * DAY)["Beta"] == T0 + 5 * DAY
    assert times(repo, epoch=T0 + 5 * DAY)["Alpha"] == T0 + DAY


def test_between_releases_only_what_was_released_counts(repo: Project) -> None:
    tag(repo, "v1", T0 + DAY)
    repo.write("source_notes/deck.md", DECK.replace("beta body", "beta, for a while"))
    commit(repo, T0 + 2 * DAY)
    repo.write("source_notes/deck.md", DECK)
    commit(repo, T0 + 3 * DAY)
    tag(repo, "v2", T0 + 4 * DAY)
    repo.write("source_notes/deck.md", DECK.replace("gamma body", "gamma, later"))
    commit(repo, T0 + 5 * DAY)
    # No release shipped the detour: every student has v1's Beta, which v2 and HEAD still show.
    assert times(repo) == {"Alpha": T0 + DAY, "Beta": T0 + DAY, "Gamma": T0 + 5 * DAY}


def test_tags_that_are_not_releases_do_not_count(repo: Project) -> None:
    git(repo.root, "tag", "nightly")
    tag(repo, "draft-1", T0 + DAY)
    assert times(repo)["Alpha"] == T0
    repo.write("ankigen.toml", 'release_tags = "draft-*"\n')
    commit(repo, T0 + 2 * DAY)
    assert times(repo)["Alpha"] == T0 + DAY


def test_a_picture_change_moves_only_the_notes_that_show_it(repo: Project) -> None:
    (repo.root / "source_notes" / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"1" * 64)
    repo.write("source_notes/deck.md", DECK.replace("alpha body", "![one](a.png)"))
    commit(repo, T0 + DAY)
    (repo.root / "source_notes" / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"2" * 64)
    commit(repo, T0 + 2 * DAY)
    found = times(repo)
    assert found["Alpha"] == T0 + 2 * DAY
    assert found["Beta"] == T0


def test_an_uncommitted_picture_moves_only_the_notes_that_show_it(repo: Project) -> None:
    (repo.root / "source_notes" / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"1" * 64)
    repo.write("source_notes/deck.md", DECK.replace("alpha body", "![one](a.png)"))
    commit(repo, T0 + DAY)
    assert times(repo) == {"Alpha": T0 + DAY, "Beta": T0, "Gamma": T0}
    (repo.root / "source_notes" / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"2" * 64)
    assert times(repo, epoch=T0 + 9 * DAY) == {"Alpha": T0 + 9 * DAY, "Beta": T0, "Gamma": T0}


def test_settings_that_shape_notes_move_every_note_and_others_move_none(repo: Project) -> None:
    repo.write("pyproject.toml", '[project]\nname = "x"\n')
    commit(repo, T0 + DAY)
    assert set(times(repo).values()) == {T0}
    repo.write("pyproject.toml", '[project]\nname = "x"\n[tool.ankigen]\nallow_html = true\n')
    commit(repo, T0 + 2 * DAY)
    assert set(times(repo).values()) == {T0 + 2 * DAY}


def test_uncommitted_cards_take_source_date_epoch_or_their_file_time(repo: Project) -> None:
    repo.write("source_notes/deck.md", DECK.replace("gamma body", "gamma, not committed"))
    assert times(repo, epoch=T0 + 9 * DAY) == {
        "Alpha": T0,
        "Beta": T0,
        "Gamma": T0 + 9 * DAY,
    }
    path = repo.root / "source_notes" / "deck.md"
    os.utime(path, (T0 + 7 * DAY, T0 + 7 * DAY))
    assert times(repo)["Gamma"] == T0 + 7 * DAY
    assert times(repo)["Alpha"] == T0


def test_a_change_after_a_kept_walk_reads_its_cards_or_walks_again(repo: Project) -> None:
    """A build whose files equal HEAD's reads only the kept lines and times; the first change
    reads the kept cards, and walks again if they are lost."""
    repo.write("source_notes/deck.md", DECK.replace("beta body", "beta, edited"))
    commit(repo, T0 + 2 * DAY)
    assert times(repo) == {"Alpha": T0, "Beta": T0 + 2 * DAY, "Gamma": T0}
    expected = {"Alpha": T0, "Beta": T0 + 2 * DAY, "Gamma": T0 + 9 * DAY}
    repo.write(
        "source_notes/deck.md", DECK.replace("beta body", "beta, edited").replace("gamma body", "g")
    )
    assert times(repo, epoch=T0 + 9 * DAY) == expected
    (cards_kept,) = (repo.root / "build" / ".cache").glob("note-times-*.cards.json")
    cards_kept.unlink()
    repo.write(
        "source_notes/deck.md", DECK.replace("beta body", "beta, edited").replace("gamma body", "G")
    )
    assert times(repo, epoch=T0 + 9 * DAY) == expected
    assert cards_kept.exists()  # walked again, and kept


def test_source_date_epoch_clamps(repo: Project) -> None:
    assert set(times(repo, epoch=T0 - 5).values()) == {T0 - 5}


def test_rendering_changed_is_a_floor(repo: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notetimes, "RENDERING_CHANGED", T0 + 3 * DAY)
    assert set(times(repo).values()) == {T0 + 3 * DAY}


def test_every_clone_builds_the_same_bytes(repo: Project, tmp_path: Path) -> None:
    tag(repo, "v1", T0 + DAY)
    repo.write("source_notes/deck.md", DECK.replace("beta body", "beta, edited"))
    commit(repo, T0 + 2 * DAY)
    digests = set()
    for name in ("one", "two"):
        clone = tmp_path / name
        subprocess.run(["git", "clone", "-q", str(repo.root), str(clone)], check=True)
        os.utime(clone / "source_notes" / "deck.md", (T0 + 99 * DAY, T0 + 99 * DAY))
        other = Project(clone)
        assert other.build("-q", epoch=None).exit_code == 0
        digests.add(hashlib.sha256(other.apkg("deck").read_bytes()).hexdigest())
    assert len(digests) == 1


def test_a_student_keeps_edits_and_tags_on_notes_a_release_did_not_change(
    repo: Project, collection: object
) -> None:
    tag(repo, "v1", T0 + DAY)
    assert repo.build("-q", epoch=T0 + DAY).exit_code == 0
    assert len(import_apkg(collection, repo.apkg("deck")).new) == 3  # type: ignore[attr-defined]
    col = collection
    notes = {col.get_note(nid)["Front"]: col.get_note(nid) for nid in col.find_notes("")}  # type: ignore[attr-defined]
    alpha = notes["Alpha"]
    alpha["Back"] = "my own words"
    alpha.tags.append("mine")
    col.update_note(alpha)  # type: ignore[attr-defined]

    repo.write("source_notes/deck.md", DECK.replace("gamma body", "gamma, fixed"))
    commit(repo, T0 + 2 * DAY)
    tag(repo, "v2", T0 + 3 * DAY)
    assert repo.build("-q", epoch=T0 + 3 * DAY).exit_code == 0
    log = import_apkg(collection, repo.apkg("deck"))
    assert len(log.updated) == 1  # type: ignore[attr-defined]
    alpha = col.get_note(alpha.id)  # type: ignore[attr-defined]
    assert alpha["Back"] == "my own words" and "mine" in alpha.tags
    gamma = col.get_note(notes["Gamma"].id)  # type: ignore[attr-defined]
    assert "gamma, fixed" in gamma["Back"]


# --- the floor moves whenever the seed's rendering does ---------------------------------------

GOLDEN = Path(__file__).parent / "golden" / "rendering.json"


def test_rendering_changed_moves_with_the_rendering(tmp_path: Path) -> None:
    """The seed's fields, hashed: when they change, RENDERING_CHANGED must move too, or students
    never receive the new HTML of notes whose source did not change."""
    out = tmp_path / "seed.apkg"
    done = subprocess.run(
        ["ankigen", "build", "-q", "-o", str(out)],
        cwd=REPO,
        env={**os.environ, "SOURCE_DATE_EPOCH": "1700000000"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(out) as archive:
        db = sqlite3.connect(":memory:")
        db.deserialize(archive.read("collection.anki2"))
    fields = sorted(row[0] for row in db.execute("SELECT flds FROM notes"))
    now = {
        "rendering_changed": RENDERING_CHANGED,  # the one the subprocess built with
        "fields_sha256": hashlib.sha256("\x1e".join(fields).encode()).hexdigest(),
    }
    if os.environ.get("ANKIGEN_UPDATE_GOLDENS") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(now, indent=2) + "\n", encoding="utf-8")
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    if now["fields_sha256"] != golden["fields_sha256"]:
        assert now["rendering_changed"] > golden["rendering_changed"], (
            "the seed's fields changed: move notetimes.RENDERING_CHANGED to the day of the "
            "change, then refresh with ANKIGEN_UPDATE_GOLDENS=1"
        )
    assert now == golden, "refresh tests/golden/rendering.json with ANKIGEN_UPDATE_GOLDENS=1"


def test_every_card_the_parser_finds_is_followed_through_history() -> None:
    """The heading scan sees every card the markdown parser makes, at the same line."""
    from ankigen.config import Config
    from ankigen.errors import Diagnostics
    from ankigen.parse import parse_file
    from ankigen.sources import discover

    folders = [REPO / "source_notes", REPO / "tests" / "broken" / "notes"]
    for folder in folders:
        for source in discover([folder], Diagnostics(), notes_root=folder):
            cards = parse_file(source, Config(), Diagnostics())
            found = {card.line for card in split_cards(source.text, source.display, "")}
            assert {card.location.line for card in cards} <= found, source.display


def test_a_planted_walk_is_not_trusted(repo: Project) -> None:
    tag(repo, "v1", T0 + DAY)
    repo.write("source_notes/deck.md", DECK.replace("beta body", "beta, edited"))
    commit(repo, T0 + 2 * DAY)
    honest = times(repo)
    cache = repo.root / "build" / ".cache"
    (kept,) = cache.glob("note-times-*[0-9a-f].json")  # each card's line and time
    (cards_kept,) = cache.glob("note-times-*.cards.json")  # and the cards' digests
    planted = T0 + 50 * DAY
    record = json.loads(kept.read_bytes()[64:])
    for entry in record["files"].values():  # [digest of the whole file, its time, lines]
        entry[1] = planted
        entry[2][1::2] = [planted] * (len(entry[2]) // 2)
    kept.write_bytes(b"0" * 64 + json.dumps(record).encode())  # a seal this machine never made
    record = json.loads(cards_kept.read_bytes()[64:])
    for cards in record["files"].values():
        for card in cards:
            card[2] = planted
    cards_kept.write_bytes(b"0" * 64 + json.dumps(record).encode())
    assert times(repo) == honest
    assert planted not in honest.values()


def test_an_attribute_list_leaves_its_card_and_its_section_s_cards_the_same_cards() -> None:
    """Keys name cards as parse names them: marking a card, or tagging a section, moves the
    time of no card whose text is the same."""
    base = "# T\n\n## Part\n\n### A\n\na\n\n### B\n\nb\n"
    marked = base.replace("## Part", "## Part {tags='p'}").replace("### A", "### A {.reversed}")
    before, after = split_cards(base, "deck.md", ""), split_cards(marked, "deck.md", "")
    assert [card.key for card in after] == [card.key for card in before]
    assert after[1].digest != before[1].digest  # A is now reversed: it changed
    assert after[2].digest == before[2].digest  # B shows what it showed
    pinned = marked.replace("{.reversed}", "{#a .reversed}")
    assert notetimes.split_cards(pinned, "deck.md", "")[1].key == ("T", "#", "a")
