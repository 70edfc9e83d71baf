"""One changed card parsed alone: `--serve` reads a note file again on every save, and parsing
all of a file of a thousand cards to take in one edited card would cost a second each time.

When a file differs from the one this process read before (its text, notes, problems and outline,
as the notes cache keeps them) only inside one card (its body, or its heading's text), that card
is parsed and rendered from a copy of the file in which every line is blank but the front matter,
the title, the card's sections, the card itself and the heading after it: lines keep their
numbers, and the card is read in what it is read in within the whole file. The file's other notes
and problems are kept, moved by the lines the card gained or lost.

That is what parsing the whole file gives only when nothing changed reaches beyond the card. So
the whole file is parsed instead (None) when a changed line could start or end a heading, a
fence, a math block, an HTML block or a definition; when the file holds a link definition
(`[label]: url`, which every card reads); when the copy's card holds another heading, or the
heading after it is no longer one (an HTML block or comment left open swallows it); when the
card is no longer one card of the same deck; and when one of its pictures is not drawn yet.
`tests/test_splice.py` compares it with parsing the whole file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from .config import Config
from .errors import Diagnostic, Diagnostics, Location
from .model import Card, Outline, RenderedNote, SourceFile
from .stages import FileResult, identities
from .storage import Storage

# A changed line like these could change more than its card. (A link definition anywhere in the
# file refuses the splice before any line is looked at.)
_REACHING = re.compile(
    r"""^\s*(?:
        \#                  # a heading
      | [=\-]+\s*$          # a setext underline, a thematic break, front matter
      | ```|~~~             # a fence
      | <                   # an HTML block
      | \{:                 # a kramdown attribute list
    )
    | \$\$                  # a math block, wherever it is in the line
    """,
    re.VERBOSE,
)


class Before(NamedTuple):
    """A file as this process read it last: its text, what the cache keeps of it, and the
    files it consulted."""

    source: SourceFile
    notes: tuple[RenderedNote, ...]
    parse_problems: list[Diagnostic]
    render_problems: list[Diagnostic]
    outline: Outline | None
    consulted: frozenset[Path]


def splice(
    before: Before, new: SourceFile, config: Config, cache_dir: Path, storage: Storage
) -> FileResult | None:
    """The file `new` read as a change to one card of the file `before`; None when that might
    not be what parsing the whole file gives."""
    old, outline = before.source, before.outline
    same_file = (old.path, old.root, old.display) == (new.path, new.root, new.display)
    if outline is None or not same_file or "]:" in new.text:  # a definition, read by every card
        return None
    old_lines, new_lines = old.text.split("\n"), new.text.split("\n")
    start, old_end, new_end = _changed(old_lines, new_lines)
    around = _card_around(outline, start, old_end, len(old_lines))
    if around is None or (start == old_end and start == new_end):
        return None
    heading, end = around  # 0-based lines of the card's heading and of what follows it
    if not old_lines[heading].startswith("#"):  # a setext heading: its text spans lines
        return None
    renamed = start == heading  # its heading line was edited too
    if renamed and not _renamed_alone(outline, heading, old_lines[heading], new_lines[heading]):
        return None
    first = start + 1 if renamed else start
    changed = old_lines[first:old_end] + new_lines[first:new_end]
    if any(_REACHING.search(line) for line in changed):
        return None
    shift = len(new_lines) - len(old_lines)
    old_note = next((n for n in before.notes if n.location.line == heading + 1), None)
    alone = _parse_alone(new, new_lines, outline, heading, end + shift, config)
    if old_note is None or alone is None or not _same_place(old_note, alone[0]):
        return None
    card, problems, consulted = alone
    from .drawing import look_up
    from .render import draft_notes, finish_notes, picture_jobs

    drawn, missing = look_up(picture_jobs([card], config), cache_dir, storage)
    if missing:
        return None
    rendering = Diagnostics()
    [note] = finish_notes(draft_notes([card], config), drawn, config.allow_html, rendering)
    note = note._replace(source=new)  # not the copy it was parsed from
    notes = tuple(
        note if n is old_note else _moved_note(n, heading, shift, new) for n in before.notes
    )
    headings = tuple(
        (line + shift if line > heading else line, level) for line, level in outline.headings
    )
    return FileResult(
        new,
        identities(notes),
        notes,
        _kept(before.parse_problems, heading, end, shift) + problems,
        _kept(before.render_problems, heading, end, shift) + rendering.items,
        set(before.consulted | consulted),
        Outline(outline.front_matter_end, headings),
        spliced=True,
    )


def _changed(old: Sequence[str], new: Sequence[str]) -> tuple[int, int, int]:
    """The lines that differ: from the first, to the end of them in `old` and in `new`."""
    most = min(len(old), len(new))
    start = 0
    while start < most and old[start] == new[start]:
        start += 1
    tail = 0
    while tail < most - start and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    return start, len(old) - tail, len(new) - tail


def _card_around(outline: Outline, start: int, end: int, length: int) -> tuple[int, int] | None:
    """The heading (not a title) whose lines, itself and its body, hold the old lines `start`
    to `end`, and the line after its body; None when they are not all in one card's."""
    lines = [line for line, _ in outline.headings]
    found = None
    for index, line in enumerate(lines):
        if line > start:
            break
        found = index
    if found is None or outline.headings[found][1] < 2:
        return None
    after = lines[found + 1] if found + 1 < len(lines) else length
    return (lines[found], after) if end <= after else None


def _parse_alone(
    new: SourceFile, lines: list[str], outline: Outline, heading: int, end: int, config: Config
) -> tuple[Card, list[Diagnostic], frozenset[Path]] | None:
    """The card at line `heading` (to `end`), parsed from the file with every other line blank
    but its front matter, title and sections, and the heading after it; its problems; the
    files it consulted. None when the card's lines are no longer one card."""
    from .parse import parse_source

    kept = list(range(outline.front_matter_end))
    sections: list[tuple[int, int]] = []
    level = 0
    for line, depth in outline.headings:
        if line == heading:
            level = depth
            break
        if depth == 1:
            kept += [line] if not sections and line == outline.headings[0][0] else []
            continue
        while sections and sections[-1][1] >= depth:
            sections.pop()
        sections.append((line, depth))
    kept += [line for line, depth in sections if depth < level]
    # Nothing after the card but the heading that ends it, which tells whether the card names a
    # section too: the rest cannot change how the card reads.
    text = [""] * min(end + 1, len(lines))
    for line in kept:
        text[line] = lines[line]
    text[heading : end + 1] = lines[heading : end + 1]
    copy = SourceFile(new.path, new.root, new.display, "\n".join(text), new.modified)
    parsed = parse_source(copy, config)
    if len(parsed.cards) != 1 or parsed.cards[0].location.line != heading + 1:
        return None
    # The card's lines hold no heading but its own, and the heading after it is still one (an
    # HTML block or a comment left open would swallow it, a setext heading is not seen alone).
    after = [depth for line, depth in outline.headings if line > heading][:1]
    expected = [(heading, level)] + [(end, depth) for depth in after]
    if [h for h in parsed.outline.headings if heading <= h[0] <= end] != expected:
        return None
    inside = [p for p in parsed.problems if heading < p.location.line <= end]
    return parsed.cards[0], inside, parsed.consulted


def _same_place(note: RenderedNote, card: Card) -> bool:
    """Whether the card is in the note's deck and namespace: its identity and tags may change
    with its heading, which no other card reads (the checks across files see them)."""
    return (card.deck, card.namespace) == (note.deck, note.namespace)


_ATX = re.compile(r"(#{2,6})[ \t]")


def _renamed_alone(outline: Outline, heading: int, old: str, new: str) -> bool:
    """Whether a card's heading line may change, from `old` to `new`, without changing any
    other card: both are headings of its level, and it names no section of the headings after
    it (their deck and identity hold its name)."""
    level = dict(outline.headings)[heading]
    was, now = _ATX.match(old), _ATX.match(new)
    if was is None or now is None or len(was[1]) != level or len(now[1]) != level:
        return False
    later = [depth for line, depth in outline.headings if line > heading]
    return not later or later[0] <= level


def _moved_note(note: RenderedNote, heading: int, shift: int, new: SourceFile) -> RenderedNote:
    where = note.location
    if where.line > heading + 1:
        where = Location(where.path, where.line + shift, where.col)
    # as `_replace` would, a tenth of its cost: a file of ten thousand notes is moved at once
    return RenderedNote._make((*note[:7], where, new, *note[9:]))


def _kept(problems: list[Diagnostic], heading: int, end: int, shift: int) -> list[Diagnostic]:
    """The problems outside the card's lines, those after it moved by `shift` lines."""
    kept = []
    for problem in problems:
        where = problem.location
        if where.line <= heading:
            kept.append(problem)
        elif where.line > end:
            moved = Location(where.path, where.line + shift, where.col)
            kept.append(Diagnostic(moved, problem.severity, problem.message))
    return kept
