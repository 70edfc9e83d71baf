"""Splitting a version of a note file from the split of another version (what the walk through
history does for every version it reads) gives exactly what splitting it afresh gives."""

from __future__ import annotations

import os

from hypothesis import given, settings
from hypothesis import strategies as st

from ankigen.notetimes.cards import split_file
from ankigen.notetimes.resplit import split_like

EXAMPLES = int(os.environ.get("ANKIGEN_FUZZ_EXAMPLES", "300"))
DERANDOMIZE = "ANKIGEN_FUZZ_EXAMPLES" not in os.environ

# Lines that note files are made of, and those that change their structure.
LINES = [
    "# Title",
    "# Other title",
    "## Card",
    "## Card {#pinned}",
    "## Renamed",
    "### Sub",
    "### Sub ##",
    "#### Deep",
    "  ## Indented heading",
    "words and more words",
    "other words",
    "$x^2$ and [ref][r]",
    "[r]: https://example.org/r",
    "[r]: https://example.org/other",
    "![pic](img/dot.png)",
    '<img src="img/other.png">',
    "```python",
    "```",
    "~~~",
    "# comment in code, or a title",
    "---",
    "deck: Deck",
    "namespace: ns",
    "",
    "",
]

line = st.sampled_from(LINES)
text = st.lists(line, max_size=30).map("\n".join)


@st.composite
def edited(draw: st.DrawFn) -> tuple[str, str]:
    """A file and a version of it with a few lines inserted, removed or replaced."""
    lines = draw(st.lists(line, max_size=30))
    if draw(st.booleans()):
        lines = ["---", draw(line), "---", *lines]
    changed = list(lines)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(changed)))
        match draw(st.sampled_from(["insert", "remove", "replace", "append"])):
            case "insert":
                changed.insert(at, draw(line))
            case "remove" if at < len(changed):
                del changed[at]
            case "replace" if at < len(changed):
                changed[at] = draw(line)
            case "append" if at < len(changed):
                changed[at] += draw(st.sampled_from([" edit", " #", " {#id}", "s"]))
    ending = draw(st.sampled_from(["", "\n"]))
    return "\n".join(lines) + ending, "\n".join(changed) + draw(st.sampled_from([ending, "\n"]))


@settings(max_examples=EXAMPLES, derandomize=DERANDOMIZE, deadline=None)
@given(edited(), st.sampled_from(["", "deck=D\nmath=mathjax"]))
def test_a_split_from_another_version_is_a_split_afresh(pair: tuple[str, str], config: str) -> None:
    old, new = pair
    afresh = split_file(new, "notes/deck.md", config)
    for like in (split_file(old, "notes/deck.md", config), afresh):
        again = split_like(new, "notes/deck.md", config, like)
        assert again.cards == afresh.cards
        assert (again.keys, again.paths, again.digests) == (
            afresh.keys,
            afresh.paths,
            afresh.digests,
        )
        assert (again.blocks, again.offsets, again.kinds) == (
            afresh.blocks,
            afresh.offsets,
            afresh.kinds,
        )
        # And the split made this way is as good a start for the next version.
        assert split_like(old, "notes/deck.md", config, again).cards == (
            split_file(old, "notes/deck.md", config).cards
        )


def test_most_versions_are_split_from_the_last() -> None:
    """The point of it: an edit in a card's text, or a renamed heading, reuses the split."""
    cards = (f"## Card {i}\n\ntext {i}\n\n### Under {i}\n\nmore\n\n" for i in range(50))
    base = "# T\n\n" + "".join(cards)
    like = split_file(base, "d.md", "")
    for new in (
        base.replace("text 7\n", "text 7, edited\n"),
        base.replace("## Card 7\n", "## Card seven\n"),
        base.replace("text 3\n", "text 3!\n").replace("text 40\n", "text 40!\n"),
    ):
        again = split_like(new, "d.md", "", like)
        assert again.text is new and again.blocks is not None
        assert again.cards == split_file(new, "d.md", "").cards
        assert again.starts is like.starts  # reused, not split afresh


@settings(max_examples=EXAMPLES, derandomize=DERANDOMIZE, deadline=None)
@given(
    st.lists(st.integers(0, 100), max_size=20),
    st.integers(0, 100),
    st.integers(0, 100),
)
def test_kept_times_are_clamped_as_every_time_is(
    whens: list[int], floor: int, ceiling: int
) -> None:
    """A file's kept times are brought within the floor and SOURCE_DATE_EPOCH, whole files at
    a time, as each time alone would be."""
    from ankigen.notetimes import _clamped

    lines = [number for line, when in enumerate(whens) for number in (line, when)]
    assert _clamped(lines, floor, ceiling) == {
        line: min(max(when, floor), ceiling) for line, when in enumerate(whens)
    }
