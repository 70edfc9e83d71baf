"""`ankigen preview`: the folder it writes, the page's content, errors, --open, --changed-since."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest

from ankigen.build import read_notes
from ankigen.config import Config
from ankigen.errors import Diagnostics
from ankigen.notetypes import card_css
from ankigen.preview import preview_cards

from .conftest import Project, git
from .preview.folder_text import data_file, page_with_cards, search_index

LAB_NOTES = Path(__file__).parent / "preview" / "lab" / "notes"


@pytest.fixture
def lab(project: Project) -> Project:
    shutil.copytree(LAB_NOTES, project.root / "source_notes")
    return project


def _page(project: Project) -> str:
    """The page with its cards, as the page's script shows them."""
    return page_with_cards(project.root / "build" / "preview")


def _shown(page: str) -> list[str]:
    keys = re.findall(r'<article class="pv-tile" data-card="([^"]+)"', page)
    return [html.unescape(key) for key in keys]


def test_preview_writes_every_card_into_a_self_contained_folder(lab: Project, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    result = lab.run("preview")
    assert result.exit_code == 0, result.stderr
    assert "build/preview/index.html: 21 cards, from 8 notes" in result.stdout
    folder = lab.root / "build" / "preview"
    for name in ("preview.css", "preview.js", "mathjax/tex-chtml-full.js", "build.txt"):
        assert (folder / name).is_file(), name
    assert (folder / "mathjax/output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff").is_file()
    for package in ("noerrors", "mathtools", "mhchem", "autoload"):
        assert (folder / "mathjax" / "input" / "tex" / "extensions" / f"{package}.js").is_file()

    page = _page(lab)
    monkeypatch.chdir(lab.root)
    notes = read_notes(Config(), [Path("source_notes")], Diagnostics())
    cards = preview_cards(notes)
    assert _shown(page) == [card.key for card in _ordered(cards)]
    for card in cards:
        assert card.question in page and card.answer in page, card.key
        location = card.note.location
        assert f"{location.path}:{location.line}" in page
        assert f">{card.note.identity}<" in page
        assert f">{html.escape(card.note.guid, quote=False)}<" in page
    media = {m.name for note in notes for m in note.media}
    assert len(media) == 1 and all((folder / name).is_file() for name in media)
    assert card_css() in page
    # the filter's index: each card's text, tags included, in the page's order
    index = search_index(folder)
    assert len(index["text"]) == len(cards) == len(index["deck"])
    for card, text in zip(_ordered(cards), index["text"], strict=True):
        assert card.title.lower() in text and card.note.guid.lower() in text
        assert all(tag.lower() in text for tag in card.note.tags)
    # nothing from the network: every script, style and picture is a file of the folder
    for reference in re.findall(r'(?:src|href)="([^"#]+)"', page):
        if not reference.startswith(("https://example.org", "data:")):  # a card's link; no icon
            assert (folder / reference).is_file(), reference


def _ordered(cards):  # type: ignore[no-untyped-def]
    """The page's order: decks as a tree, in the order the notes first name them."""
    from ankigen.preview.page import deck_tree

    ordered = []

    def walk(decks):  # type: ignore[no-untyped-def]
        for deck in decks:
            ordered.extend(deck.cards)
            walk(deck.children.values())

    walk(deck_tree(cards))
    return ordered


def test_navigation_lists_decks_and_sections_with_counts(lab: Project) -> None:
    assert lab.run("preview").exit_code == 0
    nav = _page(lab).split('<nav class="pv-nav"', 1)[1].split("</nav>", 1)[0]
    entries = re.findall(
        r'<a href="#(deck-[0-9a-f]+)">([^<]+)</a><span class="pv-n"[^>]*>(\d+)<', nav
    )
    assert [(name, int(count)) for _, name, count in entries] == [
        ("Preview Lab", 20),  # its own 17 cards and the 3 of Optics
        ("Optics", 3),
        ("Second Deck", 1),
    ]
    for anchor, _, _ in entries:
        assert f'<section class="pv-deck" id="{anchor}"' in _page(lab)
    assert "<h1>Preview Lab · Second Deck</h1>" in _page(lab)


def test_notes_with_errors_write_nothing_and_keep_the_last_preview(project: Project) -> None:
    note = project.write("source_notes/deck.md", "# Deck\n\n## Card\n\nFine.\n")
    assert project.run("preview").exit_code == 0
    before = _page(project)
    note.write_text("# Deck\n\n## Card\n\nBroken {{c1::never closed\n", encoding="utf-8")
    result = project.run("preview")
    assert result.exit_code == 1
    assert "source_notes/deck.md:5:8: error: cloze deletion is never closed" in result.stderr
    assert "no preview was written" in result.stderr
    assert _page(project) == before

    fresh = Project(project.root.parent / "fresh")
    fresh.write("source_notes/deck.md", "# Deck\n\n## Card\n\n{{c1::oops\n")
    assert fresh.run("preview").exit_code == 1
    assert not (fresh.root / "build" / "preview").exists()


def test_open_shows_the_page_in_a_browser(project: Project, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    project.write("source_notes/deck.md", "# Deck\n\n## Card\n\nBody.\n")
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url, *args, **kwargs: opened.append(url))
    assert project.run("preview", "--open").exit_code == 0
    assert opened == [(project.root / "build" / "preview" / "index.html").as_uri()]


def test_the_same_notes_give_the_same_preview(lab: Project) -> None:
    assert lab.run("preview").exit_code == 0
    first = _page(lab)
    assert lab.run("preview").exit_code == 0
    assert _page(lab) == first
    build = (lab.root / "build" / "preview" / "build.txt").read_text()
    assert f'data-build="{build}"' in first


def test_one_changed_card_rewrites_its_chunk_and_no_other(tmp_path: Path) -> None:
    project = Project(tmp_path / "big")
    for number in range(8):
        cards = "".join(f"## Card {number}-{i}\n\nBody {i} of {number}.\n\n" for i in range(60))
        project.write(f"source_notes/part{number}.md", f"# Deck {number}\n\n{cards}")
    assert project.run("preview").exit_code == 0
    chunks = project.root / "build" / "preview" / "cards"
    before = {path.name: path.stat().st_mtime_ns for path in chunks.iterdir()}
    assert len(before) > 4
    note = project.root / "source_notes" / "part5.md"
    note.write_text(note.read_text().replace("Body 7 of 5.", "Edited body."))
    assert project.run("preview").exit_code == 0
    after = {path.name: path.stat().st_mtime_ns for path in chunks.iterdir()}
    assert len(set(after) - set(before)) == 2  # the edited card's chunk and the index
    assert all(after[name] == before[name] for name in set(after) & set(before))
    assert "Edited body." in _page(project) and "Body 7 of 5." not in _page(project)


def test_a_planted_or_damaged_chunk_is_never_shown(project: Project) -> None:
    project.write("source_notes/deck.md", "# Deck\n\n## Card\n\nThe real body.\n")
    assert project.run("preview").exit_code == 0
    files = (project.root / "build" / "preview" / "cards").iterdir()
    [chunk] = [path for path in files if data_file(path)[0] == "chunk"]
    genuine = chunk.read_bytes()
    chunk.write_bytes(genuine.replace(b"The real body.", b"<img src=x onerror=alert(1)>"))
    stranger = chunk.with_name("0" * 24 + ".js")
    stranger.write_text("alert(2)")
    assert project.run("preview").exit_code == 0
    assert chunk.read_bytes() == genuine
    assert not stranger.exists()


def test_media_no_longer_used_leave_the_folder(lab: Project) -> None:
    assert lab.run("preview").exit_code == 0
    folder = lab.root / "build" / "preview"
    (picture,) = folder.glob("ankigen-*.png")
    lens = lab.root / "source_notes" / "optics" / "lens.md"
    lens.write_text(lens.read_text().replace("![a lens](lens.png)", "No picture."))
    assert lab.run("preview").exit_code == 0
    assert not picture.exists()
    assert (folder / "mathjax" / "tex-chtml-full.js").is_file()


# --- --changed-since ---


_BEFORE = """\
# Deck

## Kept

Unchanged body.

## Edited

Old body.

## Dropped

Going away.

## Clozes

First {{c1::one}}, second {{c2::two}}.
"""

_AFTER = """\
# Deck

## Kept

Unchanged body.

## Edited

New body.

## Clozes

First {{c1::one}}, second {{c2::two}}, third {{c3::three}}.

## Added

Brand new.
"""


def test_changed_since_shows_only_new_and_changed_cards(project: Project) -> None:
    note = project.write("source_notes/deck.md", _BEFORE)
    git(project.root, "init", "-q")
    git(project.root, "add", ".")
    git(project.root, "commit", "-q", "-m", "notes")
    note.write_text(_AFTER, encoding="utf-8")

    result = project.run("preview", "--changed-since", "HEAD")
    assert result.exit_code == 0, result.stderr
    assert "cards added or changed since HEAD" in result.stdout
    page = _page(project)
    titles = re.findall(r'<h3 class="pv-title">([^<]+)</h3>', page)
    # every cloze card changed, as its text did; the third is new
    assert titles == ["Edited", "Clozes", "Clozes", "Clozes", "Added"]
    badges = re.findall(r'<span class="pv-badge pv-(\w+)">', page)
    assert badges == ["changed", "changed", "changed", "new", "new"]
    assert "2 new, 3 changed. Removed 1 note: Dropped." in page

    git(project.root, "commit", "-q", "-am", "edit")
    result = project.run("preview", "--changed-since", "HEAD")
    assert result.exit_code == 0, result.stderr
    assert _shown(_page(project)) == []
    assert "No card was added or changed since <code>HEAD</code>." in _page(project)


def test_changed_since_an_unknown_revision_is_an_error(project: Project) -> None:
    project.write("source_notes/deck.md", "# Deck\n\n## Card\n\nBody.\n")
    git(project.root, "init", "-q")
    result = project.run("preview", "--changed-since", "no-such-ref")
    assert result.exit_code == 1
    assert "unknown git revision 'no-such-ref'" in result.stderr


def test_a_line_added_above_changes_only_its_chunk_and_the_page_moves_the_lines(
    project: Project,
) -> None:
    """A card's line is the page's, like its number: lines added to one card do not make every
    chunk after it new (a file of thousands of cards, under --serve)."""
    cards = "".join(f"## Card {i}\n\nBody {i}.\n\n" for i in range(150))
    project.write("source_notes/deck.md", f"# Deck\n\n{cards}")
    folder = project.root / "build" / "preview"

    def chunks() -> set[str]:
        found = {path.name: data_file(path)[0] for path in (folder / "cards").glob("*.js")}
        return {name for name, call in found.items() if call == "chunk"}

    assert project.run("preview").exit_code == 0
    before = chunks()
    assert len(before) > 3
    assert ">source_notes/deck.md:7</span>" in page_with_cards(folder)  # Card 1
    longer = cards.replace("Body 0.", "Body 0.\n\nA second paragraph.", 1)
    project.write("source_notes/deck.md", f"# Deck\n\n{longer}")
    assert project.run("preview").exit_code == 0
    assert len(before - chunks()) == 1  # the first card's chunk, and no other
    page = page_with_cards(folder)
    assert ">source_notes/deck.md:9</span>" in page and ">source_notes/deck.md:7</span>" not in page
    last = 3 + 2 + 149 * 4  # Card 149's heading, two lines down
    assert f">source_notes/deck.md:{last}</span>" in page
