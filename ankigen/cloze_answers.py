"""Cloze answers that their own card's front gives away: a warning at each such deletion.

Anki shows a cloze note's whole text on the front of each of its cards, with only that card's
deletions hidden. An answer that is also written elsewhere on that front, in the heading or in
the text around it (other deletions are shown on that card), is read off instead of recalled.

The check reads the raw markdown of the heading and the body, as the other cloze checks do, so
`check` and `build` report the same. Explicit deletions are read as Anki reads them (every
`{{cN::` opens one, the next `}}` closes the innermost); `==text==` deletions on one line are
numbered as the renderer numbers them: after the highest explicit number, heading first.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable

from .cloze import (
    CLOZE_ATTEMPT,
    Deletion,
    cloze_number,
    protected_spans,
    scan_clozes,
    span_at,
)
from .errors import Diagnostic, Location

# `==text==` on one line, as markdown-it's pairing reads it in all but contrived cases
_SHORTHAND = re.compile(r"(?<![=\\])==(?=[^\s=])(.+?)(?<=[^\s=\\])==(?!=)")
_LINK_TARGET = re.compile(r"\]\([^)\n]*\)")  # a link's address is not shown, its text is
_MARKS = re.compile(r"[*_`~$]|\\(?=[^A-Za-z\s])")  # emphasis, code and math marks, escapes
_NUMBER = re.compile(r"[-+\u2212]?\d+(?:[.,/]\d+)*%?")
_SHOWN_LENGTH = 40  # of an answer quoted in a message
MAX_ANSWER = 1000  # characters of markdown: a longer answer is not looked for on the front
MAX_WORK = 20_000_000  # characters of fronts to search, about a second; beyond, a warning


def check_answers(
    heading: str,
    body: str,
    heading_line0: int,
    heading_col0: int,
    body_line0: int,
    at: Callable[[int, int], Location],
) -> list[Diagnostic]:
    """A warning at every deletion whose answer its own card's front shows; `at(line0, col0)`
    places them."""
    if not any("{{" in part or "==" in part for part in (heading, body)):
        return []
    highest = max(
        (n for n in map(cloze_number, CLOZE_ATTEMPT.findall(heading + "\n" + body)) if n),
        default=0,
    )
    in_heading = deletions(heading, highest + 1)
    shorthand = sum(1 for d in in_heading if heading.startswith("==", d.start))
    in_body = deletions(body, highest + 1 + shorthand)
    parts = ((heading, in_heading), (body, in_body))
    cards = {d.number for d in (*in_heading, *in_body)}
    if len(cards) * (len(heading) + len(body)) > MAX_WORK:
        message = (
            f"cloze answers not checked for being given away: {len(cards)} cards of "
            f"{len(heading) + len(body)} characters are too many to read"
        )
        return [Diagnostic(at(heading_line0, heading_col0), "warning", message)]
    problems: list[Diagnostic] = []
    fronts: dict[int, tuple[str, str]] = {}  # what each card's front shows, read once
    for index, (text, found) in enumerate(parts):
        starts = [0, *(m.end() for m in re.finditer("\n", text))]
        for deletion in found:
            problem = _given_away(deletion, text, found, parts, fronts)
            if problem is None:
                continue
            line = bisect.bisect_right(starts, deletion.start) - 1
            col = deletion.start - starts[line]
            if index == 0:
                where = at(heading_line0, heading_col0 + col)
            else:
                where = at(body_line0 + line, col)
            problems.append(Diagnostic(where, "warning", problem))
    return problems


def deletions(text: str, first_shorthand: int) -> list[Deletion]:
    """Every deletion of `text`, in order of its start; `==` ones numbered from the given one."""
    if "{{" not in text and "==" not in text:
        return []
    spans = protected_spans(text)
    found = list(scan_clozes(text, spans).deletions)
    number = first_shorthand
    for match in _SHORTHAND.finditer(text):
        if span_at(spans, match.start()) or span_at(spans, match.end() - 1):
            continue  # in code or a formula, `==` is just text
        found.append(
            Deletion(number, match.start(), match.start(1), match.end(1), match.end(), None)
        )
        number += 1
    return sorted(found, key=lambda d: d.start)


def shown(
    text: str, found: list[Deletion], hidden: int | None, start: int = 0, end: int = -1
) -> str:
    """What `text[start:end]` shows on card `hidden`: its deletions hidden, the others' marks
    dropped; plain words, lower-cased, in single spaces."""
    end = len(text) if end == -1 else end
    cuts: list[tuple[int, int, str]] = []
    first = bisect.bisect_left(found, start, key=lambda d: d.start)  # found is sorted by start
    for d in found[first : bisect.bisect_left(found, end, key=lambda d: d.start)]:
        if d.end > end:
            continue
        if d.number == hidden:
            cuts.append((d.start, d.end, f" [{d.hint}] " if d.hint else " [...] "))
        else:
            cuts += [(d.start, d.content, ""), (d.answer_end, d.end, "")]
    pieces, position = [], start
    for cut_start, cut_end, replacement in sorted(cuts):
        if cut_start < position:
            continue  # inside a hidden deletion
        pieces += [text[position:cut_start], replacement]
        position = cut_end
    pieces.append(text[position:end])
    return _plain("".join(pieces))


def _plain(markdown: str) -> str:
    words = _MARKS.sub("", _LINK_TARGET.sub("]", markdown))
    return " ".join(words.split()).casefold()


def exempt(answer: str) -> bool:
    """Answers too short or too generic to count as given away when they appear elsewhere."""
    return len(answer) < 2 or bool(_NUMBER.fullmatch(answer))


def _given_away(
    deletion: Deletion,
    text: str,
    found: list[Deletion],
    parts: tuple[tuple[str, list[Deletion]], ...],
    fronts: dict[int, tuple[str, str]],
) -> str | None:
    """The warning for `deletion` (in `text`, among `found`) if its card's front shows its
    answer, else None."""
    if deletion.answer_end - deletion.content > MAX_ANSWER:
        return None
    answer = shown(text, found, None, deletion.content, deletion.answer_end)
    if exempt(answer):
        return None
    pattern = re.compile(
        (r"(?<!\w)" if answer[0].isalnum() else "")
        + re.escape(answer)
        + (r"(?!\w)" if answer[-1].isalnum() else "")
    )
    if deletion.number not in fronts:
        fronts[deletion.number] = (
            shown(*parts[0], deletion.number),
            shown(*parts[1], deletion.number),
        )
    heading, body = fronts[deletion.number]
    if pattern.search(heading):
        place = "in the heading"
    elif pattern.search(body):
        place = "in the text around it"
    else:
        return None
    written = " ".join(text[deletion.content : deletion.answer_end].split())
    quoted = written if len(written) <= _SHOWN_LENGTH else written[: _SHOWN_LENGTH - 1] + "…"
    return (
        f"cloze c{deletion.number} gives its answer away: {quoted!r} is on its card's front, "
        f"{place}; reword so the front does not show it"
    )
