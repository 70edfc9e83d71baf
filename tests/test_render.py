"""Markdown -> Anki fields: formulas for MathJax, code, media, raw HTML, links."""

from __future__ import annotations

import hashlib
from pathlib import Path

from .helpers import messages, render

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def test_inline_and_display_math_become_mathjax_delimiters_untouched_by_markdown() -> None:
    notes, _ = render("## Q\n\n$x_i$ and $y_j$, a \\$5 bill, $a<b$\n\n$$\n\\sum_i x_i\n$$\n")
    back = notes[0].fields[1]
    assert "\\(x_i\\) and \\(y_j\\)" in back
    assert "a $5 bill" in back
    assert "\\(a&lt;b\\)" in back
    assert '<div class="math-display">\\[\\sum_i x_i\\]</div>' in back
    assert "<em>" not in back


def test_math_in_the_heading_too() -> None:
    notes, _ = render("## What is $\\hat{y}_i$?\n\nthe prediction\n")
    assert notes[0].fields[0] == "What is \\(\\hat{y}_i\\)?"


def test_reference_links_work_in_headings_with_and_without_an_id() -> None:
    text = (
        "## What is [softmax][sm]?\n\nnormalised exponentials\n\n"
        "## Where is [softmax][sm] used? {#softmax-use}\n\nin classifiers\n\n"
        "[sm]: https://example.org/softmax\n"
    )
    notes, diagnostics = render(text)
    link = '<a href="https://example.org/softmax">softmax</a>'
    assert notes[0].fields[0] == f"What is {link}?"
    assert notes[1].fields[0] == f"Where is {link} used?"
    assert notes[1].identity == "softmax-use"
    assert not diagnostics.items


def test_fenced_code_is_highlighted_with_classes_for_day_and_night_css() -> None:
    notes, diagnostics = render("## Q\n\n```python\ndef f(x):\n    return x\n```\n")
    back = notes[0].fields[1]
    assert '<div class="highlight">' in back
    assert '<span class="k">def</span>' in back
    assert not diagnostics.items


def test_code_language_from_front_matter_applies_to_bare_fences() -> None:
    notes, _ = render("---\ncode_language: python\n---\n## Q\n\n```\nimport os\n```\n")
    assert '<span class="kn">import</span>' in notes[0].fields[1]


def test_unknown_code_language_is_a_located_warning() -> None:
    notes, diagnostics = render("## Q\n\ntext\n\n```klingon\nqapla'\n```\n")
    assert "qapla&#x27;" in notes[0].fields[1] or "qapla'" in notes[0].fields[1]
    assert messages(diagnostics) == [
        "deck.md:5:1: warning: unknown code language 'klingon': shown without highlighting"
    ]


def test_raw_html_is_shown_as_text_by_default() -> None:
    notes, _ = render(
        "## Q <script>x()</script>\n\n<script>alert(1)</script>\n\n<b onclick=x>b</b>\n"
    )
    fields = "".join(notes[0].fields)
    assert "<script" not in fields and "<b" not in fields
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in fields


def test_allowed_html_is_still_stripped_of_scripts_and_handlers() -> None:
    notes, _ = render("## Q\n\n<script>alert(1)</script>\n\nsome <b onclick='x()'>bold</b>\n", True)
    back = notes[0].fields[1]
    assert "<b>bold</b>" in back
    assert "script" not in back and "onclick" not in back


def test_javascript_links_are_not_links() -> None:
    notes, _ = render("## Q\n\n[click](javascript:alert(1)) and https://example.org\n")
    back = notes[0].fields[1]
    assert "javascript" not in back.lower().replace("[click](javascript:alert(1))", "")
    assert '<a href="https://example.org">https://example.org</a>' in back


def test_images_become_media_named_by_content(tmp_path: Path) -> None:
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "dot.png").write_bytes(PNG)
    (tmp_path / "copy.png").write_bytes(PNG)
    notes, diagnostics = render("## Q\n\n![a dot](img/dot.png) ![same](copy.png)\n", root=tmp_path)
    assert not diagnostics.items
    name = f"ankigen-{hashlib.sha256(PNG).hexdigest()[:24]}.png"
    assert [m.name for m in notes[0].media] == [name]
    assert f'<img src="{name}" alt="a dot" />' in notes[0].fields[1]


def test_images_in_the_heading_too(tmp_path: Path) -> None:
    (tmp_path / "dot.png").write_bytes(PNG)
    notes, diagnostics = render("## What is ![this](dot.png)?\n\nA dot.\n", root=tmp_path)
    assert not diagnostics.items
    assert notes[0].fields[0].startswith('What is <img src="ankigen-')
    assert len(notes[0].media) == 1


def test_bad_images_are_located_errors(tmp_path: Path) -> None:
    notes_dir = tmp_path / "notes"
    notes_dir.mkdir()
    (tmp_path / "secret.png").write_bytes(PNG)
    (notes_dir / "link.png").symlink_to(tmp_path / "secret.png")
    (notes_dir / "notes.txt").write_text("not an image")
    _, diagnostics = render(
        """
        ## Q

        ![missing](nope.png)
        text ![up](../secret.png)
        ![link](link.png) ![remote](https://example.org/x.png)
        ![text](notes.txt)
        """,
        root=notes_dir,
    )
    assert messages(diagnostics) == [
        "deck.md:3:12: error: image 'nope.png' does not exist",
        "deck.md:4:12: error: image '../secret.png' lies outside the notes folder",
        "deck.md:5:9: error: image 'link.png' lies outside the notes folder",
        "deck.md:5:29: error: image 'https://example.org/x.png' must be a file in the notes folder",
        "deck.md:6:9: error: 'notes.txt' is not an image (.png, .jpg, .jpeg, .gif, .svg, .webp, "
        ".avif, .bmp)",
    ]


def test_basic_note_fields_are_front_back_source() -> None:
    notes, _ = render("## Front *text*\n\nBack **text**\n")
    assert notes[0].kind == "basic"
    assert notes[0].fields == (
        "Front <em>text</em>",
        "<p>Back <strong>text</strong></p>",
        "deck.md",
    )
    assert notes[0].ordinals == (0,)
