"""The TeX parser proper: one formula read as MathJax reads it, problems reported as met.

`TexParser` reads braces, scripts, `&`, commands and their arguments, text boxes' math and
macro bodies; what it does with the atoms, scripts, cells and frames it meets is in
`bookkeeping`, and the commands MathJax reads in a way of their own are handled in `commands`.
"""

from __future__ import annotations

import difflib
import re

from .bookkeeping import Bookkeeper
from .commands import SPECIAL
from .frames import Frame, Level
from .names import HINTS, KNOWN, MOVABLE, NOT_A_SCRIPT, OPS, SPECS, TRANSPARENT
from .reader import TexProblem, as_written
from .safety import sweep

_NUMBER = re.compile(r"[0-9]+(?:\{,\}[0-9]{3})*(?:\.[0-9]*)?|\.[0-9]+")
_TOO_DEEP = "arguments nested more than 100 deep: not checked further"


class TexParser(Bookkeeper):
    """Reads one formula as MathJax parses it and collects its problems."""

    def __init__(self, text: str, where: list[int]) -> None:
        super().__init__(text, where)
        self.macros: dict[str, str] = {}
        self.ops: set[str] = set()
        self.envs: set[str] = set()
        self.vetted: set[int] = set()  # where the parser checked a command `safety` guards
        self.bodies: list[tuple[int, int]] = []
        self.warned_comment = False
        self.depth = 0

    def check(self) -> list[TexProblem]:
        """Parse the whole formula and return what was found."""
        self.parse(0, len(self.s), tabs=False)
        for start, stop in self.bodies:
            self.scan_names(start, stop)
        sweep(self)
        return self.found

    def scan_names(self, i: int, end: int) -> None:
        """Report unknown commands in a macro body, which MathJax reads only where it is used."""
        while i < end:
            if self.s[i] != "\\":
                i += 1
                continue
            name, k = self.cs_end(i + 1, end)
            if name not in KNOWN and name not in SPECIAL and name not in self.macros:
                self.unknown(i, k, name)
            i = k

    def take(self, lv: Level, i: int, cs: int, name: str, spec: str) -> int | None:
        """Read the arguments `spec` describes; index after them, or None once reported."""
        end = lv.end
        total = sum(1 for k in spec if k in "mtTabdDn")
        nth = 0
        for kind in spec:
            if kind == "s":
                j = self.skip_spaces(i, end)
                i = j + 1 if j < end and self.s[j] == "*" else i
            elif kind in "oO":
                got = self.brackets(i, end, cs, name)
                if got is None:
                    return None
                if kind == "O" and got[2] > i:
                    self.parse(got[0], got[1], tabs=False)
                i = got[2]
            elif kind == "d":
                k = self.delimiter(i, end, cs, name)
                if k is None:
                    return None
                i, nth = k, nth + 1
            elif kind == "D":
                k = self.dimension(i, end, cs, name)
                if k is None:
                    return None
                i, nth = k, nth + 1
            else:
                arg = self.argument(i, end, cs, name, nth, total)
                if arg is None:
                    return None
                if name == "sqrt" and self.s[arg[0] : arg[1]].rstrip() == "\\frac":
                    after = self.take(lv, arg[2], arg[0], "frac", "mm")  # MathJax allows \sqrt\frac
                    if after is None:
                        return None
                    arg = (arg[0], arg[1], after)
                elif kind in "ma":
                    self.parse(arg[0], arg[1], tabs=kind == "a")
                elif kind == "b":
                    self.bodies.append((arg[0], arg[1]))
                elif kind == "T":
                    self.text_math(arg[0], arg[1])
                elif kind == "n" and re.search("[^0-9]", self.s[arg[0] : arg[1]]):
                    self.error(cs, f"`{as_written(name)}` needs a positive whole number argument")
                i, nth = arg[2], nth + 1
        return i

    def text_math(self, i: int, end: int) -> None:
        """Parse the `$...$` and `\\(...\\)` inside a text box, as MathJax's internalMath does."""
        s, match, braces, start, opener = self.s, "", 0, i, i
        while i < end:
            c, i = s[i], i + 1
            if c == "$" and match == "$" and not braces:
                self.parse(start, i - 1, tabs=False)
                match = ""
            elif c == "$" and not match:
                match, start, opener = "$", i, i - 1
            elif c == "{" and match:
                braces += 1
            elif c == "}" and match == "}" and not braces:
                match = ""
            elif c == "}" and match and braces:
                braces -= 1
            elif c == "\\":
                ref = re.compile(r"(eq)?ref\s*\{").match(s, i, end)
                if ref and not match:
                    match, opener, i = "}", i - 1, ref.end()
                    continue
                c, i = s[i : i + 1], i + 1
                if c == "(" and not match:
                    match, start, opener = ")", i, i - 2
                elif c == ")" and match == ")" and not braces:
                    self.parse(start, i - 2, tabs=False)
                    match = ""
        if match:
            closer = {"$": "`$`", ")": "`\\)`", "}": "`}`"}[match]
            self.error(opener, f"math in a text box is never closed by {closer}")

    # the parser proper

    def parse(self, i: int, end: int, tabs: bool) -> None:
        """Read s[i:end] as one MathJax parser, reporting problems as they are met."""
        s = self.s
        if self.depth >= 100:
            if not self.found or self.found[-1].message != _TOO_DEEP:
                self.warn(i, _TOO_DEEP)
            return
        self.depth += 1
        lv = Level(end, tabs)
        lv.top.start = i
        while i < end:
            c = s[i]
            if c.isspace():
                i += 1
            elif c == "%":
                if not self.warned_comment:
                    self.warned_comment = True
                    self.warn(
                        i,
                        "`%` starts a TeX comment: MathJax hides the rest of the line; "
                        "write `\\%` for a percent sign",
                    )
                while i < end and s[i] != "\n":
                    i += 1
            elif c == "{":
                lv.stack.append(Frame("group", i))
                i += 1
            elif c == "}":
                self.close(lv, i, "group")
                i += 1
            elif c in "^_":
                self.script(lv, i, c)
                i += 1
            elif c in "'\u2019":
                self.prime(lv, i)
                i += 1
            elif c == "&":
                if lv.top.tabs:
                    self.next_cell(lv, i)
                else:
                    self.error(
                        i,
                        "misplaced `&`: outside an alignment environment (such as "
                        "`aligned`, `cases`, `pmatrix`) MathJax shows “Misplaced &”",
                    )
                i += 1
            elif c == "#":
                self.error(i, "`#` is only allowed in a macro definition; write `\\#`")
                i += 1
            elif c == "\\":
                i = self.command(lv, i)
            else:
                m = _NUMBER.match(s, i, end)
                i = m.end() if m and (lv.top.script < 0 or c == ".") else i + 1
                self.atom(lv.top)
        self.finish(lv)
        self.depth -= 1

    # commands: those with rules of their own are in `commands.SPECIAL`

    def command(self, lv: Level, i: int) -> int:
        """Handle the command whose backslash is at i; return the index after it."""
        name, j = self.cs_end(i + 1, lv.end)
        script = lv.top.script
        if script >= 0 and name in NOT_A_SCRIPT:
            self.error(
                i,
                f"`{as_written(name)}` cannot directly follow `{self.s[script]}`: "
                f"put it in braces, as in `{self.s[script]}{{{as_written(name)}}}`",
            )
            lv.top.script = -1
        special = SPECIAL.get(name)
        if special is not None:
            return special(self, lv, i, j, name)
        return self.ordinary(lv, i, j, name)

    def ordinary(self, lv: Level, i: int, j: int, name: str) -> int:
        """A command read the ordinary way: its arguments by its spec, then an atom."""
        spec = self.macros.get(name)
        if spec is None:
            spec = SPECS.get(name, "")
            if name not in KNOWN and name not in SPECIAL:
                self.unknown(i, j, name)
        k = self.take(lv, j, i, name, spec) if spec else j
        if name not in TRANSPARENT:
            op = name in OPS or name in self.ops
            self.atom(lv.top, op=op, limits=op and name in MOVABLE)
        return lv.end if k is None else k

    def unknown(self, i: int, j: int, name: str) -> None:
        where = self.where[i:j]
        if len(set(where)) == len(where) > 1 and where[-1] - where[0] != j - i - 1:
            self.error(
                i,
                f"unknown command `{as_written(name)}`: Anki removes the cloze markers, which "
                "joins the command to the letters of the cloze; put a space or braces "
                "around the cloze, as in `\\sqrt{ {{c1::x}} }`",
            )
            return
        hint = HINTS.get(name)
        if hint is None:
            close = difflib.get_close_matches(name, KNOWN | set(self.macros), n=1, cutoff=0.75)
            hint = "\\" + close[0] if close else None
        tip = f" (did you mean `{hint}`?)" if hint else ""
        self.error(i, f"unknown command `{as_written(name)}`: MathJax does not define it{tip}")
