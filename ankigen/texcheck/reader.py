"""The low-level readers of a formula, after MathJax's TexParser, and how problems are reported.

`Reader` holds the text MathJax receives and the offset in the note of each of its characters;
it reads command names, braced arguments, `[...]` options, delimiters and dimensions, and records
each problem at the place the user wrote it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .names import DELIMITERS

_DIMEN = r"\s*[-+]?(?:[.,]\d+|\d+(?:[.,]\d*)?)\s*(?:pt|em|ex|mu|px|mm|cm|in|pc)"
DIMEN_WHOLE = re.compile(_DIMEN + r"\s*")
_DIMEN_START = re.compile(_DIMEN)
_ORDINALS = (
    "1st",
    "2nd",
    "3rd",
    "4th",
    "5th",
    "6th",
    "7th",
    "8th",
    "9th",
)  # \newcommand: 9 at most


@dataclass(frozen=True)
class TexProblem:
    """One thing in a formula that MathJax would show as red error text, or a likely slip."""

    offset: int
    message: str
    severity: str  # "error" or "warning"
    unsafe: bool = False  # the formula would reach the card's HTML (see `safety`)


class Reader:
    """A formula's text with the offsets of its characters, and the problems found in it."""

    def __init__(self, text: str, where: list[int]) -> None:
        self.s = text
        self.where = where
        self.found: list[TexProblem] = []

    # reporting

    def at(self, i: int) -> int:
        if i < len(self.where):
            return self.where[i]
        return self.where[-1] + 1 if self.where else 0

    def error(self, i: int, message: str) -> None:
        self.found.append(TexProblem(self.at(i), message, "error"))

    def refuse(self, i: int, message: str) -> None:
        """Report something the formula may not do to the card (`safety`)."""
        self.found.append(TexProblem(self.at(i), message, "error", unsafe=True))

    def warn(self, i: int, message: str) -> None:
        self.found.append(TexProblem(self.at(i), message, "warning"))

    # low-level readers, after MathJax's TexParser

    def skip_spaces(self, i: int, end: int) -> int:
        while i < end and self.s[i].isspace():
            i += 1
        return i

    def cs_end(self, i: int, end: int) -> tuple[str, int]:
        """Read a command name starting after its backslash: (name, index after it)."""
        s = self.s
        if i >= end or s[i] in "\n\r\u2028\u2029":
            return " ", min(i + 1, end)
        j = i
        while j < end and s[j].isascii() and s[j].isalpha():
            j += 1
        if j == i:
            return s[i], i + 1
        name = s[i:j]
        return name, j + 1 if j < end and s[j] == " " else j

    def match_brace(self, i: int, end: int) -> int:
        """Index of the `}` closing the `{` at i, or -1."""
        depth, i = 0, i
        while i < end:
            c = self.s[i]
            if c == "\\":
                i += 1
            elif c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    return i
            i += 1
        return -1

    def argument(
        self, i: int, end: int, cs: int, name: str, nth: int, total: int
    ) -> tuple[int, int, int] | None:
        """The next argument after i as (start, stop, index after it); None once reported."""
        j = self.skip_spaces(i, end)
        what = f"`{as_written(name)}` needs {total} argument{'s' if total > 1 else ''}"
        if j >= end:
            self.error(cs, f"missing argument: {what}, the {_ORDINALS[nth]} is missing")
            return None
        c = self.s[j]
        if c == "}":
            self.error(cs, f"missing argument: {what}, found `}}` instead of the {_ORDINALS[nth]}")
            return None
        if c == "\\":
            _, k = self.cs_end(j + 1, end)
            return j, k, k
        if c == "{":
            k = self.match_brace(j, end)
            if k < 0:
                self.error(j, "unbalanced brace: `{` is never closed")
                return None
            return j + 1, k, k + 1
        return j, j + 1, j + 1

    def brackets(self, i: int, end: int, cs: int, name: str) -> tuple[int, int, int] | None:
        """An optional `[...]` after i as (start, stop, after); (i, i, i) when absent."""
        j = self.skip_spaces(i, end)
        if j >= end or self.s[j] != "[":
            return i, i, i
        depth, k = 0, j + 1
        while k < end:
            c = self.s[k]
            if c == "\\":
                k += 1
            elif c == "{":
                depth += 1
            elif c == "}":
                if depth == 0:
                    self.error(
                        k, f"unbalanced brace: `}}` inside the `[...]` of `{as_written(name)}`"
                    )
                    return None
                depth -= 1
            elif c == "]" and depth == 0:
                return j + 1, k, k + 1
            k += 1
        self.error(j, f"`[` after `{as_written(name)}` is never closed by `]`")
        return None

    def delimiter(self, i: int, end: int, cs: int, name: str) -> int | None:
        """Read the delimiter after \\left, \\right, \\big...; index after it or None."""
        j = self.skip_spaces(i, end)
        if j < end and self.s[j] == "\\":
            cname, k = self.cs_end(j + 1, end)
            token = "\\" + cname
        elif j < end:
            token, k = self.s[j], j + 1
        else:
            token, k = "", j
        if token in DELIMITERS:
            return k
        found = f"`{token}`" if token.strip() else "nothing"
        self.error(
            cs,
            f"missing or unknown delimiter after `{as_written(name)}` (found {found}); "
            "use one of ( ) [ ] \\{ \\} | \\| . \\langle \\rangle \\lvert ...",
        )
        return None

    def dimension(self, i: int, end: int, cs: int, name: str) -> int | None:
        """Read a dimension such as `3pt` or `{1em}`; index after it or None."""
        j = self.skip_spaces(i, end)
        if j < end and self.s[j] == "{":
            k = self.match_brace(j, end)
            if k >= 0 and DIMEN_WHOLE.fullmatch(self.s, j + 1, k):
                return k + 1
        else:
            m = _DIMEN_START.match(self.s, j, end)
            if m:
                k = m.end()
                return k + 1 if k < end and self.s[k] == " " else k
        self.error(
            cs,
            f"missing dimension or its unit after `{as_written(name)}` "
            "(write e.g. `2pt`, `1em`, `3mu`)",
        )
        return None


def as_written(name: str) -> str:
    """A command name as the user wrote it."""
    return name if name.startswith("begin{") else "\\" + name
