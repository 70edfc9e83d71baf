"""One changed card parsed alone (splice.py) gives exactly what parsing the whole file gives."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ankigen.config import Config
from ankigen.model import SourceFile
from ankigen.splice import Before, splice
from ankigen.stages import FileResult, process_file
from ankigen.storage import Storage
from bench.corpus import card  # the benchmark's cards: lists, code, clozes, formulas

ROOT = Path("/notes")

# Lines an author types into a card's body, some of which reach beyond it.
LINES = [
    "plain words",
    "",
    "- a list item",
    "  continued",
    "1. numbered",
    "> a quote",
    "    indented code",
    "a $x^2$ formula and **bold**",
    "{{c1::a cloze}} here",
    "{{c2::another}}",
    "| a | b |",
    "|---|---|",
    "```",
    "```python",
    "~~~",
    "$$",
    "## A new heading",
    "### Deeper",
    "# Title",
    "---",
    "===",
    "<div>html</div>",
    "<div>",
    "<!-- open",
    "close -->",
    "Setext",
    "[ref]: https://example.org",
    "see [ref] and [^1]",
    "[^1]: a footnote",
    "{: .class}",
    "\\$ escaped",
    "trailing spaces  ",
]


def _file(seed: int, cards: int, sections: bool) -> str:
    rng = random.Random(seed)
    parts = ["---\ndeck: Splice\ntags: [t]\n---\n# Title\n"]
    for i in range(cards):
        if sections and i % 3 == 0:
            name = rng.choice([f"Section {i}", f"Section <b>{i}</b>", f"Section {i} {{.reversed}}"])
            intro = rng.choice(["", "An intro that makes the section a card too.\n"])
            parts.append(f"## {name}\n\n{intro}")
        body = card(i, rng).replace("## ", "### " if sections else "## ", 1)
        parts.append(body)
    return "\n".join(parts)


def _parse(text: str, config: Config, storage: Storage, cache: Path) -> FileResult:
    source = SourceFile(ROOT / "deck.md", ROOT, "notes/deck.md", text, 1_700_000_000)
    result = process_file(source, config, cache, storage, render=True)
    assert isinstance(result, FileResult)
    return result


def _before(result: FileResult) -> Before:
    return Before(
        result.source,
        result.notes,
        result.parse_problems,
        result.render_problems,
        result.outline,
        frozenset(result.consulted),
    )


def _spliced(
    text: str, edited: str, config: Config, storage: tuple[Storage, Path]
) -> tuple[FileResult | None, FileResult, FileResult]:
    """`edited` spliced into `text` as read before; the whole of `edited` parsed; `text`'s."""
    store, cache = storage
    old = _parse(text, config, store, cache)
    whole = _parse(edited, config, store, cache)
    return splice(_before(old), whole.source, config, cache, store), whole, old


def _agrees(text: str, edited: str, config: Config, storage: tuple[Storage, Path]) -> None:
    """`edited` spliced into `text` is refused, or is what parsing all of `edited` gives."""
    spliced, whole, _ = _spliced(text, edited, config, storage)
    if spliced is not None:
        _same(spliced, whole)


def _same(spliced: FileResult, whole: FileResult) -> None:
    assert spliced.notes == whole.notes
    assert spliced.identities == whole.identities
    assert sorted(spliced.parse_problems) == sorted(whole.parse_problems)
    assert sorted(spliced.render_problems) == sorted(whole.render_problems)
    assert spliced.outline == whole.outline
    assert spliced.consulted >= whole.consulted


@pytest.fixture(scope="module")
def storage(tmp_path_factory: pytest.TempPathFactory) -> tuple[Storage, Path]:
    folder = tmp_path_factory.mktemp("splice")
    return Storage(folder, b"k" * 32), folder / "cache"


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 10_000),
    sections=st.booleans(),
    where=st.floats(0, 1, exclude_max=True),
    remove=st.integers(0, 2),
    added=st.lists(st.sampled_from(LINES), max_size=3),
    html=st.booleans(),
)
def test_a_spliced_card_is_what_the_whole_file_gives(
    storage: tuple[Storage, Path],
    seed: int,
    sections: bool,
    where: float,
    remove: int,
    added: list[str],
    html: bool,
) -> None:
    text = _file(seed, 9, sections)
    lines = text.split("\n")
    at = 6 + int(where * (len(lines) - 6))  # anywhere after the front matter and title
    _agrees(
        text, "\n".join(lines[:at] + added + lines[at + remove :]), Config(allow_html=html), storage
    )


def test_an_edit_inside_a_card_is_spliced_and_the_cards_after_it_move(
    storage: tuple[Storage, Path],
) -> None:
    text = _file(7, 12, sections=True)
    lines = text.split("\n")
    at = lines.index(next(line for line in lines if line.startswith("### ") and " 4" in line))
    added = ["A new line, with $y$.", "", "And another."]
    edited = "\n".join([*lines[: at + 2], *added, *lines[at + 2 :]])
    spliced, whole, old = _spliced(text, edited, Config(), storage)
    assert spliced is not None
    _same(spliced, whole)
    moved = [n for n in spliced.notes if n.location.line > at + 1]
    assert moved and all(n.location.line - 3 in {o.location.line for o in old.notes} for n in moved)


@pytest.mark.parametrize(
    "added",
    ["## A new card", "```", "[ref]: https://example.org", "$$", "<div>", "----"],
)
def test_a_line_that_can_reach_other_cards_makes_the_whole_file_parsed(
    storage: tuple[Storage, Path], added: str
) -> None:
    text = _file(3, 6, sections=False)
    lines = text.split("\n")
    at = lines.index(next(line for line in lines if line.startswith("## ") and " 2" in line))
    edited = "\n".join([*lines[: at + 2], added, *lines[at + 2 :]])
    assert _spliced(text, edited, Config(), storage)[0] is None


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 10_000),
    sections=st.booleans(),
    which=st.floats(0, 1, exclude_max=True),
    marks=st.sampled_from(["##", "###", "####", "#"]),
    text=st.sampled_from(
        [
            "Renamed",
            "",
            "Loss {#loss}",
            "Pair {.reversed}",
            'Tagged {tags="a b"}',
            "Bad {#",
            "`code` *x*",
        ]
    ),
    body=st.lists(st.sampled_from(LINES), max_size=2),
)
def test_a_renamed_card_is_what_the_whole_file_gives(
    storage: tuple[Storage, Path],
    seed: int,
    sections: bool,
    which: float,
    marks: str,
    text: str,
    body: list[str],
) -> None:
    original = _file(seed, 9, sections)
    lines = original.split("\n")
    headings = [i for i, line in enumerate(lines) if line.startswith("##")]
    at = headings[int(which * len(headings))]
    edited = "\n".join([*lines[:at], f"{marks} {text}", *body, *lines[at + 1 :]])
    _agrees(original, edited, Config(), storage)


def test_a_card_renamed_is_spliced_and_one_that_names_a_section_is_not(
    storage: tuple[Storage, Path],
) -> None:
    text = _file(5, 7, sections=True)
    lines = text.split("\n")
    card = next(i for i, line in enumerate(lines) if line.startswith("### "))
    renamed = "\n".join([*lines[:card], "### A new name", *lines[card + 1 :]])
    spliced, whole, _ = _spliced(text, renamed, Config(), storage)
    assert spliced is not None
    _same(spliced, whole)
    assert "a-new-name" in {note.identity.split("/")[-1] for note in spliced.notes}
    section = next(i for i, line in enumerate(lines) if line.startswith("## Section"))
    renamed = "\n".join([*lines[:section], "## Another section", *lines[section + 1 :]])
    assert _spliced(text, renamed, Config(), storage)[0] is None


def test_a_card_that_names_a_section_keeps_the_problems_of_its_name(
    storage: tuple[Storage, Path],
) -> None:
    """A heading with a body and sub-headings is a card and a section: its name's problems
    depend on the heading after it, which the card parsed alone must see too."""
    text = "# Title\n\n## First\n\nOne.\n\n## Part <b>two</b>\n\nAn intro.\n\n### Inside\n\nTwo.\n"
    edited = text.replace("An intro.", "A longer intro.")
    spliced, whole, _ = _spliced(text, edited, Config(), storage)
    assert any("section" in p.message for p in whole.parse_problems)
    assert spliced is not None
    _same(spliced, whole)


@pytest.mark.parametrize(
    ("text", "old", "new", "html"),
    [
        # a setext heading after the card: its text line alone is no heading
        ("# T\n\n## A\n\nbody\n\nFoo\n---\n\nbbody\n", "body\n", "body edited\n", False),
        # a paragraph that runs into a setext heading's text
        ("# T\n\n## A\n\nbody\n\nx\n\nFoo\n---\n\nbbody\n", "x\n\nFoo", "x\ny\nFoo", False),
        ("# T\n\n## A\n\nbody\n\nFoo\n---\n\nbbody\n", "body\n\nFoo", "body\nmore\nFoo", False),
        # an HTML comment left open swallows the cards after it
        ("# T\n\n## A\n\nbody\n\n<!-- a\nend -->\n\n## B\n\nbbody\n", "end -->", "end", True),
        # an HTML block ends at a blank line only
        ("# T\n\n## A\n\nbody\n\n<div>\nhi\n\n## B\n\nbbody\n", "hi\n\n## B", "hi\n## B", True),
        # link definitions anywhere, in a quote or a list too, are read by every card
        (
            "# T\n\n## A\n\nsee [ref]\n\n## B\n\n> [ref]: https://example.org\n",
            "see",
            "so see",
            False,
        ),
        (
            "# T\n\n## A\n\nsee [a\\]b]\n\n## B\n\n[a\\]b]: https://example.org\n",
            "see",
            "so see",
            False,
        ),
        # a setext heading's text spans lines: an edit there renames a section
        ("# T\n\n## A\n\na\n\nTwo\nlines\n---\n\nintro\n\n### B\n\nb\n", "Two", "2", False),
        # a paragraph and a thematic break become a setext heading when the blank line goes
        ("# T\n\n## A\n\npara\n\n---\n\n## B\n\nbbody\n", "para\n\n---", "para\n---", False),
    ],
)
def test_edits_that_reach_past_their_card_give_what_the_whole_file_gives(
    storage: tuple[Storage, Path], text: str, old: str, new: str, html: bool
) -> None:
    edited = text.replace(old, new, 1)
    assert edited != text
    _agrees(text, edited, Config(allow_html=html), storage)
