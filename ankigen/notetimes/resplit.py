"""A version of a note file split from the split of another version of it: history changes a
file a few lines at a time, so where the two differ only in lines that hold no fence, title or
link definition, the cards keep their keys and only those whose text changed are digested
again (those under a renamed heading too, for their section path)."""

from __future__ import annotations

import bisect
import posixpath
import re
from dataclasses import replace

from .cards import (
    BLOCK_LINE,
    Split,
    card_key,
    digested,
    heading_text,
    labelled,
    section_name,
    split_file,
)


def split_like(text: str, relative: str, settings: str, like: Split | None) -> Split:
    """A version of a note file split, from `like`, the split of another version of it,
    where it can be."""
    if like is not None and like.relative == relative and like.settings == settings:
        split = resplit(text, like)
        if split is not None:
            return split
    return split_file(text, relative, settings)


def resplit(text: str, like: Split) -> Split | None:
    """Another version of `like`'s file, when the lines where the two differ hold the same
    headings and fences and no link definition: its cards keep their keys, and only those
    that overlap those lines are digested again. None when that is not the case."""
    old = like.text
    if like.start == 0 and old.startswith("---\n"):
        return None  # an unclosed front matter, which a change may close
    same_start = _common_prefix(old, text)
    same_end = _common_suffix(old, text, same_start)  # characters, at the end of both
    # The lines that differ, whole: from the start of the first to the end of the last.
    first = old.rfind("\n", 0, same_start) + 1
    old_last = old.find("\n", len(old) - same_end)
    new_last = text.find("\n", len(text) - same_end)
    old_last = len(old) if old_last < 0 else old_last
    new_last = len(text) if new_last < 0 else new_last
    if first <= like.start or "]:" in old[first:old_last] + text[first:new_last]:
        return None  # the front matter or a link definition may have changed
    # The blocks whose line starts in the differing lines, in each version.
    low = bisect.bisect_left(like.offsets, first)
    high = bisect.bisect_right(like.offsets, old_last)
    scan = "\n" + text
    found = []
    for match in BLOCK_LINE.finditer(scan, first):
        if match.start() > new_last:
            break
        found.append(match)
    renamed = _renamed(like, low, high, found)
    if renamed is None:
        return None
    shift = len(text) - len(old)
    split = replace(
        like,
        text=text,
        offsets=[
            *like.offsets[:low],
            *(match.start() for match in found),
            *(offset + shift for offset in like.offsets[high:]),
        ],
        pictures=list(like.pictures),
        digests=list(like.digests),
    )
    references = labelled(split.definitions)
    folder = posixpath.dirname(like.relative)
    # The cards whose text changed in the differing lines (several changes apart can hold many
    # cards between them), and those under a renamed heading.
    again = set()
    card = max(bisect.bisect_left(like.starts, low) - 1, 0)  # it may end after `first`
    while card < len(split.starts) and split.offsets[split.starts[card]] <= new_last:
        if split.body(card) != like.body(card):
            again.add(card)
        card += 1
    lines = [match[0] for match in found]
    if lines != like.blocks[low:high]:
        split.blocks = [*like.blocks[:low], *lines, *like.blocks[high:]]
    if renamed:
        split.keys, split.paths = list(like.keys), list(like.paths)
        for block, was, heading in renamed:
            again |= _rename(split, bisect.bisect_left(split.starts, block), was, heading)
    for card in again:
        split.pictures[card], split.digests[card] = digested(split, card, references, folder)
    return split


def _renamed(
    like: Split, low: int, high: int, found: list[re.Match[str]]
) -> list[tuple[int, str, str]] | None:
    """The card headings among `like`'s blocks low..high that `found` renames, as (block, old
    text, new text); None when `found` changes the structure: a fence, a title, a level."""
    if len(found) != high - low:
        return None
    renamed = []
    for index, match in enumerate(found, low):
        was = like.blocks[index]
        if match[0] == was:
            continue
        before = BLOCK_LINE.match(was)
        if before is None or before[1] is None or match[1] is None:
            return None  # a fence line changed: what is code may have changed
        kind = like.kinds[index]
        if kind == "H" and len(before[1]) == len(match[1]):
            renamed.append((index, heading_text(before[2]), heading_text(match[2])))
        elif kind != "I":  # a `#` line inside a fence changes only its card's text
            return None
    return renamed


def _rename(split: Split, card: int, was: str, heading: str) -> set[int]:
    """Give a card a new heading, and the cards in its section their new path; which changed."""
    namespace, depth = split.keys[card][0], len(split.paths[card])
    old_path = (*split.paths[card], section_name(was))
    split.keys[card] = card_key(namespace, split.paths[card], heading)
    changed = {card}
    for under in range(card + 1, len(split.keys)):
        path = split.paths[under]
        if path[: depth + 1] != old_path:
            break
        split.paths[under] = path = (*path[:depth], section_name(heading), *path[depth + 1 :])
        split.keys[under] = card_key(namespace, path, _name(split, under))
        changed.add(under)
    return changed


def _name(split: Split, card: int) -> str:
    """A card's heading text as the split took it, from its heading line."""
    match = BLOCK_LINE.match(split.blocks[split.starts[card]])
    return heading_text(match[2]) if match is not None and match[2] is not None else ""


def _common_prefix(a: str, b: str) -> int:
    """How many characters `a` and `b` start with in common, compared a block at a time."""
    size, position, limit = 4096, 0, min(len(a), len(b))
    while position < limit and a[position : position + size] == b[position : position + size]:
        position += size
    low, high = position, min(position + size, limit)
    while low < high:  # the first difference is in [low, high]
        middle = (low + high + 1) // 2
        if a[position:middle] == b[position:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix(a: str, b: str, prefix: int) -> int:
    """How many characters `a` and `b` end with in common, not reaching into `prefix`."""
    return _common_prefix(a[prefix:][::-1], b[prefix:][::-1])
