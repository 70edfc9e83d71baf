"""Notes from strangers' pull requests: nothing they write runs, leaks or styles the card."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from ankigen.texcheck import check_tex

from .conftest import Project
from .helpers import messages, render
from .test_render import PNG


@pytest.mark.parametrize(
    ("tex", "words"),
    [
        ("\\href{javascript:alert(1)}{click}", "`\\href` may only link"),
        ("\\href{ JavaScript:x}{y}", "`\\href` may only link"),
        ("\\style{position:fixed;width:100%}{x}", "`\\style` is not allowed"),
        ("\\class{x}{y}", "`\\class` is not allowed"),
        ("\\cssId{x}{y}", "`\\cssId` is not allowed"),
    ],
)
def test_formulas_cannot_link_to_scripts_or_style_the_card(tex: str, words: str) -> None:
    assert [words in p.message for p in check_tex(tex)] == [True]


def test_web_links_in_formulas_are_fine() -> None:
    assert check_tex("\\href{https://example.org}{x} + \\href{mailto:a@b.org}{y}") == []


def test_markup_that_becomes_mathjax_or_a_cloze_only_once_rendered_is_checked() -> None:
    _, diagnostics = render(
        "## A\n\n\\{\\{c0::zero}}\n\n"
        "## B\n\nhi \\\\(\\href{javascript:alert(1)}{x}\\\\) there\n\n"
        "## C \\\\(\\style{color:red}{x}\\\\)\n\nfine\n"
    )
    assert messages(diagnostics) == [
        "deck.md:1:4: error: cloze number '0' must be a positive integer",
        "deck.md:5:4: error: formula: `\\href` may only link to an http(s) or mailto address",
        "deck.md:9:4: error: formula: `\\style` is not allowed in notes: "
        "it would style the card itself",
    ]


def test_allowed_html_cannot_fetch_pictures_or_empty_a_front() -> None:
    text = '## <!-- nothing -->\n\nbody\n\n## Pics\n\n<img src="https://evil.example/t.png">\n'
    notes, diagnostics = render(text, allow_html=True)
    assert messages(diagnostics) == [
        "deck.md:1:4: error: the card's front is empty once rendered, so Anki would make no card"
    ]
    assert "evil.example" not in notes[1].fields[1]


def test_a_retargeted_picture_link_is_seen_through_the_cache(project: Project) -> None:
    notes = project.root / "source_notes"
    project.write("source_notes/d.md", "# D\n\n## A\n\n![p](pic.png)\n")
    (notes / "real.png").write_bytes(PNG)
    (project.root / "secret.png").write_bytes(PNG + b"secret")
    (notes / "pic.png").symlink_to(notes / "real.png")
    assert project.build().exit_code == 0
    (notes / "pic.png").unlink()
    (notes / "pic.png").symlink_to(project.root / "secret.png")
    result = project.build()
    assert result.exit_code == 1
    assert result.problems == [
        "source_notes/d.md:5:6: error: image 'pic.png' lies outside the notes folder"
    ]


def test_pictures_that_cannot_be_cached_still_go_into_their_notes(project: Project) -> None:
    """A picture cache that cannot be written costs time only: the pictures drawn are written
    into the notes, which are cached with them; nothing is left out."""
    project.write("source_notes/d.md", "# D\n\n## S\n\n```plot softmax\nlogits: [1, 2]\n```\n")
    cache = project.root / "build" / ".cache"
    cache.mkdir(parents=True)
    (cache / "pictures").write_text("a file where the pictures folder should be")
    result = project.build()
    assert (result.exit_code, result.problems) == (0, [])
    with zipfile.ZipFile(project.apkg("d")) as archive:
        assert archive.read("media") != b"{}"
    first = project.apkg("d").read_bytes()
    (cache / "pictures").unlink()
    (cache / "notes.sqlite").unlink()  # rendered and drawn again, into a writable cache
    assert project.build().exit_code == 0
    assert project.apkg("d").read_bytes() == first


def test_settings_cannot_point_outside_the_project(project: Project) -> None:
    project.write("ankigen.toml", 'source = "/etc"\noutput = "../elsewhere"\n')
    result = project.build()
    assert result.exit_code == 2
    assert result.problems == [
        "ankigen.toml:1:1: error: setting 'source' must be a folder inside the project",
        "ankigen.toml:2:1: error: setting 'output' must be a folder inside the project",
    ]
    assert not Path(project.root.parent / "elsewhere").exists()


def test_broken_picture_paths_are_located_not_tracebacks(project: Project) -> None:
    notes = project.root / "source_notes"
    project.write("source_notes/d.md", "# D\n\n## A\n\n![a](loop.png) ![b](a%00b.png)\n")
    (notes / "loop.png").symlink_to(notes / "loop.png")
    result = project.build()
    assert result.exit_code == 1
    assert [p.split(": error: ")[0] for p in result.problems] == [
        "source_notes/d.md:5:6",
        "source_notes/d.md:5:21",
    ]
    assert all("cannot be read" in p for p in result.problems)


def test_script_links_are_errors_and_raw_html_is_explained() -> None:
    _, diagnostics = render(
        "## A\n\nHello <script>alert(1)</script>, `<div>` in code, and a<b and c>d.\n\n"
        "## B\n\n[click](javascript:alert(1)) and [fine](https://example.org)\n\n"
        "## C <img src=x onerror=alert(1)>\n\nbody\n"
    )
    assert messages(diagnostics) == [
        "deck.md:3:7: warning: raw HTML `<script…` is shown as text (allow_html = true keeps "
        "it, cleaned of scripts)",
        "deck.md:7:8: error: link to a `javascript:` address: links go to web pages",
        "deck.md:9:6: warning: raw HTML `<img…` is shown as text (allow_html = true keeps it, "
        "cleaned of scripts)",
    ]


def test_allowed_html_is_not_warned_about() -> None:
    _, diagnostics = render("## A\n\nsome <b>bold</b>\n", allow_html=True)
    assert not diagnostics.items


def test_notes_and_output_folders_may_not_lead_outside_the_project(
    project: Project, tmp_path: Path
) -> None:
    """A pull request could commit links in place of the folders ankigen reads and writes."""
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "notes").mkdir(parents=True)
    (elsewhere / "notes" / "secret.md").write_text("# S\n\n## Secret\n\nthe secret\n")
    (elsewhere / "out").mkdir()
    project.root.mkdir()
    (project.root / "source_notes").symlink_to(elsewhere / "notes")
    (project.root / "build").symlink_to(elsewhere / "out")
    for command in ("build", "check"):
        result = project.run(command)
        assert result.exit_code == 2
        assert result.problems == [
            "build:1:1: error: leads outside the project through a link; use a folder inside it",
            "source_notes:1:1: error: leads outside the project through a link; "
            "use a folder inside it",
        ]
    assert list((elsewhere / "out").iterdir()) == []


def test_a_link_in_place_of_a_cache_or_preview_folder_is_refused(
    project: Project, tmp_path: Path
) -> None:
    project.write("source_notes/d.md", "# D\n\n## A\n\na\n")
    (project.root / "build").mkdir()
    (project.root / "build" / ".cache").symlink_to(tmp_path)
    result = project.build()
    assert result.exit_code == 2
    assert result.problems == [
        "build/.cache:1:1: error: is a link, not a folder of ankigen's: delete it"
    ]
    assert not {"notes.sqlite", "media", "pictures"} & {p.name for p in tmp_path.iterdir()}
