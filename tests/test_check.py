"""`ankigen check`: every problem `build` would find, in three formats, without writing."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ankigen.model import Card

from .conftest import Project

BROKEN = "# D\n\n## A\n\n{{c1::never closed\n\n## B\n\n```klingon\nx\n```\n"


def test_text_format_lists_problems_and_a_count(project: Project) -> None:
    project.write("source_notes/d.md", BROKEN)
    result = project.run("check")
    assert result.exit_code == 1
    assert result.problems == [
        "source_notes/d.md:5:1: error: cloze deletion is never closed with `}}`",
        "source_notes/d.md:9:1: warning: unknown code language 'klingon': "
        "shown without highlighting",
    ]
    assert "2 notes checked: 1 error, 1 warning" in result.stderr
    assert not (project.root / "build").exists()


def test_github_format_is_workflow_annotations_on_stdout(project: Project) -> None:
    project.write("source_notes/d.md", BROKEN)
    result = project.run("check", "--format", "github")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "::error file=source_notes/d.md,line=5,col=1::cloze deletion is never closed with `}}`",
        "::warning file=source_notes/d.md,line=9,col=1::unknown code language 'klingon': "
        "shown without highlighting",
    ]


def test_json_format(project: Project) -> None:
    project.write("source_notes/d.md", BROKEN)
    rows = json.loads(project.run("check", "--format", "json").stdout)
    assert rows[0] == {
        "path": "source_notes/d.md",
        "line": 5,
        "col": 1,
        "severity": "error",
        "message": "cloze deletion is never closed with `}}`",
    }
    assert [r["severity"] for r in rows] == ["error", "warning"]


def test_exit_status_clean_warnings_strict_and_usage(project: Project) -> None:
    project.write("source_notes/d.md", "# D\n\n## A\n\n```klingon\nx\n```\n")
    assert project.run("check").exit_code == 0
    assert project.run("check", "--strict").exit_code == 1
    assert project.run("check", "--format", "xml").exit_code == 2
    project.write("source_notes/d.md", "# D\n\n## A\n\nfine\n")
    assert project.run("check", "--strict").exit_code == 0


def test_single_files_keep_the_notes_folder_as_root(project: Project) -> None:
    """As a pre-commit hook passes them: a picture in a sibling folder is still inside."""
    from .test_render import PNG

    project.write("source_notes/topic/d.md", "# D\n\n## A\n\n![dot](../pictures/dot.png)\n")
    (project.root / "source_notes" / "pictures").mkdir()
    (project.root / "source_notes" / "pictures" / "dot.png").write_bytes(PNG)
    result = project.run("check", "source_notes/topic/d.md")
    assert result.exit_code == 0, result.stderr


def test_check_does_not_draw(project: Project) -> None:
    project.write("source_notes/d.md", "# D\n\n## S\n\n```plot softmax\nlogits: [1, 2]\n```\n")
    assert project.run("check").exit_code == 0
    assert not (project.root / "build").exists()


_TRICKY = [
    "## Q\n\ntext $$ never closed\n\n## R\n\nfine\n",
    "## Q ![dot](dot.png)\n\nbody\n",
    "## Q\n\n| a | b |\n|---|---|\n| ![x](../out.png) | $$x$$ |\n",
    "## Q\n\n![ref][r] and [link](javascript:alert(1))\n\n[r]: /etc/passwd\n",
    "## Q {#q}\n\n`$$` in code, <b>html</b>, ==cloze== and {{c1::x}}\n",
    "## Q\n\n- item ![](missing.png)\n  - nested $x_1$ and $$\\frac{1}{2$$\n",
]


def _plain(card: Card) -> dict[str, object]:
    """What a card holds but its markdown tokens."""
    names = ("location", "heading", "heading_col", "body_line", "deck", "tags", "namespace")
    more = ("identity", "code_language", "cloze_highest", "guid")
    return {name: getattr(card, name) for name in (*names, *more)}


def _parsed(text: str, root: Path, checks_only: bool) -> tuple[list[str], list[object]]:
    from ankigen.config import Config
    from ankigen.errors import Diagnostics
    from ankigen.model import SourceFile
    from ankigen.parse import parse_file

    diagnostics = Diagnostics()
    source = SourceFile(root / "deck.md", root, "deck.md", text, 1_700_000_000)
    cards = parse_file(source, Config(), diagnostics, checks_only=checks_only)
    return [str(d) for d in diagnostics], [_plain(card) for card in cards]


def test_the_checks_only_parse_finds_what_the_full_parse_finds(tmp_path: Path) -> None:
    """`check` skips the inline tokens no check reads; it must not miss anything for that."""
    (tmp_path / "dot.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    texts = [
        path.read_text(encoding="utf-8", errors="replace")
        for folder in ("source_notes", "tests/broken/notes", "tests/fixtures")
        for path in sorted(Path(folder).rglob("*.md"))
    ]
    assert len(texts) >= 4
    for text in texts + _TRICKY:
        full = _parsed(text, tmp_path, checks_only=False)
        assert _parsed(text, tmp_path, checks_only=True) == full
    assert any(full[0] for full in (_parsed(t, tmp_path, False) for t in _TRICKY))


_PIECES = [
    "## Card\n\n",
    "### Sub {#s}\n\n",
    "text ",
    "$x$ ",
    "$$y$$ ",
    "$$ ",
    "$",
    "![a](dot.png) ",
    "![b](gone.png) ",
    "[l](javascript:x) ",
    "[r]: ../x.png\n",
    "![c][r] ",
    "`$$` ",
    "`![d](e)` ",
    "**b** ",
    "<i>",
    "==z== ",
    "{{c1::w}} ",
    "{{c2::",
    "\n",
    "\n\n",
    "- ",
    "| a | b |\n|--|--|\n",
    "```python\n",
    "```\n",
    "    ind\n",
    "> ",
    "\\$ ",
    "\\frac{1}{2 ",
]


@given(st.lists(st.sampled_from(_PIECES), max_size=40))
@settings(max_examples=300, deadline=None)
def test_the_checks_only_parse_agrees_on_generated_notes(pieces: list[str]) -> None:
    root = Path("/notes-that-do-not-exist")
    text = "".join(pieces)
    assert _parsed(text, root, checks_only=True) == _parsed(text, root, checks_only=False)
