"""The check of cloze deletions `{{cN::...}}` as notes write them in markdown.

The check reads the raw markdown the way Anki will read the finished field: every `{{cN::` opens a
deletion and the next `}}` closes the innermost one. Unlike Anki's own reading (`anki_cloze`), it
also takes what Anki would read as text (`{{cx::`, `{{C1::`, `{{c1,2::`) for an opener, to report
its number. It also finds formulas and code in the raw text, because a `}}` that belongs to a
formula but closes a deletion opened outside it breaks the card silently in Anki.
"""

from __future__ import annotations

import bisect
import html
import re
from dataclasses import dataclass

from .anki_cloze import MAX_CLOZE

CLOZE_ATTEMPT = re.compile(r"\{\{c([^:{}\s]*)::", re.IGNORECASE)


VALID_NUMBER = re.compile(r"[1-9][0-9]*")
_MAX_DIGITS = len(str(MAX_CLOZE))


_MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def attempts_once_rendered(*texts: str) -> list[str]:
    """The `{{cN::` numbers that appear only once markdown is rendered: written with backslash
    escapes (`\\{\\{c1::`) or entities (`&#123;`), outside code and formulas."""
    if not any("\\{" in text or "\\:" in text or "&" in text for text in texts):
        return []
    written = {m.group(1) for text in texts for m in CLOZE_ATTEMPT.finditer(text)}
    found = []
    for text in texts:
        plain = list(text)
        for start, end, _ in protected_spans(text):
            plain[start:end] = " " * (end - start)
        unescaped = html.unescape(_MARKDOWN_ESCAPE.sub(r"\1", "".join(plain)))
        found += [m.group(1) for m in CLOZE_ATTEMPT.finditer(unescaped)]
    return [number for number in dict.fromkeys(found) if number not in written]


def number_problem(numbers: list[str]) -> str | None:
    """What is wrong with the first of `numbers` Anki would not read as a cloze number."""
    bad = sorted(n for n in set(numbers) if not VALID_NUMBER.fullmatch(n))
    if bad:
        return f"cloze number {bad[0]!r} must be a positive integer"
    big = sorted(n for n in set(numbers) if cloze_number(n) is None)
    if big:
        return f"cloze number {big[0][:20]!r} is above {MAX_CLOZE}, the largest Anki stores"
    return None


def cloze_number(text: str) -> int | None:
    """The number of a `{{cN::` as notes may write it: 1 to MAX_CLOZE, no leading zeros; else
    None."""
    if not VALID_NUMBER.fullmatch(text) or len(text) > _MAX_DIGITS or int(text) > MAX_CLOZE:
        return None
    return int(text)


# --- the check of explicit deletions ---


@dataclass(frozen=True)
class ClozeProblem:
    offset: int  # into the scanned text
    message: str


@dataclass(frozen=True)
class Deletion:
    """One closed deletion with a valid number, by offsets into the scanned text."""

    number: int
    start: int  # of `{{cN::` (or of the opening `==` of the shorthand)
    content: int  # where the answer starts
    answer_end: int  # where the answer ends: at its `::hint` or at the closing marks
    end: int  # just past the closing `}}` (or `==`)
    hint: str | None


@dataclass(frozen=True)
class ClozeScan:
    highest: int  # highest explicit cloze number, 0 if none
    count: int  # number of explicit deletions
    problems: tuple[ClozeProblem, ...]
    deletions: tuple[Deletion, ...] = ()  # in the order they close


_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_INLINE_MATH_END = re.compile(r"\\.|\$|\n[ \t]*\n", re.DOTALL)
_CLOZE_TOKEN = re.compile(r"\{\{c([^:{}\s]*)::|\}\}", re.IGNORECASE)


_INTERESTING = re.compile(
    r"^ {0,3}(?:`{3,}|~{3,})|\]\([^)\s]*|<[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*>|[\\`$]",
    re.MULTILINE,
)
_BACKTICKS = re.compile(r"`+")


def protected_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of fenced code, inline code and `$`/`$$` formulas in raw markdown."""
    spans: list[tuple[int, int, str]] = []
    n = len(text)
    match = _INTERESTING.search(text)
    while match:
        i, token = match.start(), match.group()
        if token[0] in "]<":  # a link's address: markdown reads no formula in it
            end = match.end()
        elif len(token) >= 3:  # a code fence at the start of a line
            marker = token.lstrip()
            closing = re.compile(rf"^ {{0,3}}{re.escape(marker[0])}{{{len(marker)},}}\s*$", re.M)
            body = text.find("\n", match.end())
            end_match = closing.search(text, body + 1) if body != -1 else None
            end = end_match.end() if end_match else n
            spans.append((i, end, "code"))
        elif token == "\\":
            end = i + 2
        elif token == "`":
            ticks = _BACKTICKS.match(text, i).group()  # type: ignore[union-attr]
            close = text.find(ticks, i + len(ticks))
            while close != -1 and text[close + len(ticks) : close + len(ticks) + 1] == "`":
                close = text.find(ticks, close + len(ticks) + 1)
            if close == -1:
                end = i + len(ticks)
            else:
                end = close + len(ticks)
                spans.append((i, end, "code"))
        else:  # "$"
            math_end = _math_end(text, i)
            if math_end is None:
                end = i + (2 if text.startswith("$$", i) else 1)
            else:
                end = math_end
                spans.append((i, end, "math"))
        match = _INTERESTING.search(text, end)
    return spans


def _math_end(text: str, start: int) -> int | None:
    """End offset of the formula opening at `start`, or None if it is a plain dollar."""
    if start > 0 and text[start - 1].isdigit():
        return None  # `5$` is money, as markdown's math rule sees it
    if text.startswith("$$", start):
        close = text.find("$$", start + 2)
        if close == -1 or _BLANK_LINE.search(text, start, close):
            return None  # as markdown's math rule sees it: a formula never spans a blank line
        return close + 2
    for match in _INLINE_MATH_END.finditer(text, start + 1):
        if match.group() == "$":
            closing = match.start()
            if closing == start + 1 or text[closing + 1 : closing + 2].isdigit():
                return None
            return closing + 1
        if match.group()[0] == "\n":
            return None  # a formula does not cross a blank line
    return None


def unclosed_display_math(text: str, spans: list[tuple[int, int, str]]) -> list[int]:
    """Offsets of `$$` outside code and formulas, given the text's spans: unclosed formulas."""
    if "$$" not in text:
        return []
    return [
        match.start()
        for match in re.finditer(r"(?<!\\)\$\$", text)
        if span_at(spans, match.start()) is None
    ]


def span_at(spans: list[tuple[int, int, str]], offset: int) -> tuple[int, int, str] | None:
    """The span holding `offset`, found by bisection (spans are sorted and disjoint)."""
    index = bisect.bisect_right(spans, (offset, float("inf"))) - 1
    if index >= 0 and spans[index][0] <= offset < spans[index][1]:
        return spans[index]
    return None


NO_CLOZES = ClozeScan(0, 0, ())


def scan_clozes(text: str, spans: list[tuple[int, int, str]] | None = None) -> ClozeScan:
    """Check every `{{cN::...}}` in `text` as Anki will parse it (`spans` from protected_spans)."""
    if "{{" not in text:
        return NO_CLOZES
    if spans is None:
        spans = protected_spans(text)
    maths = [span for span in spans if span[2] == "math"]

    def math_at(offset: int) -> tuple[int, int, str] | None:
        return span_at(maths, offset)

    problems: list[ClozeProblem] = []
    deletions: list[Deletion] = []
    stack: list[tuple[int, int, int]] = []  # offsets: opener, its content, end of its last child
    highest = count = 0
    for token in _CLOZE_TOKEN.finditer(text):
        i = token.start()
        if token.group() != "}}":
            number = token.group(1)
            if not VALID_NUMBER.fullmatch(number):
                message = f"cloze number {_shown(number)} must be a positive integer"
                problems.append(ClozeProblem(i, message))
            elif cloze_number(number) is None:
                message = (
                    f"cloze number {_shown(number)} is above {MAX_CLOZE}, the largest Anki stores"
                )
                problems.append(ClozeProblem(i, message))
            else:
                highest = max(highest, int(number))
            stack.append((i, token.end(), token.end()))
        elif stack:
            start, content, child_end = stack.pop()
            if stack:
                stack[-1] = (*stack[-1][:2], token.end())
            count += 1
            number = cloze_number(text[start + 3 : content - 2])
            if number is not None:
                separator = text.find("::", child_end, i)  # a hint: after any nested deletion
                answer_end, hint = (
                    (i, None) if separator == -1 else (separator, text[separator + 2 : i])
                )
                deletions.append(Deletion(number, start, content, answer_end, token.end(), hint))
            first_separator = text.find("::", content, i)  # not split(): linear when nested
            inner = text[content : i if first_separator == -1 else first_separator]
            if not inner.strip():
                problems.append(ClozeProblem(start, "empty cloze deletion"))
            opened_in, closed_in = math_at(start), math_at(i)
            if closed_in is not None and opened_in != closed_in:
                problems.append(
                    ClozeProblem(
                        i,
                        "`}}` inside this formula closes the cloze deletion opened outside it; "
                        "write `} }` in the formula",
                    )
                )
            elif opened_in is not None and closed_in is None:
                message = "cloze deletion opened inside a formula ends outside it"
                problems.append(ClozeProblem(start, message))
    for start, _, _ in stack:
        problems.append(ClozeProblem(start, "cloze deletion is never closed with `}}`"))
    problems.sort(key=lambda p: p.offset)
    return ClozeScan(highest, count, tuple(problems), tuple(deletions))


def _shown(number: str) -> str:
    """A cloze number for a message, cut short when it is long."""
    return repr(number) if len(number) <= 20 else f"{number[:10]!r}… ({len(number)} characters)"
