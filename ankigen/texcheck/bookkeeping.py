"""The parser's bookkeeping: atoms, scripts and primes, alignment cells, and closing frames.

`Bookkeeper`, the base of `formula.TexParser`, records what each open frame (`frames`) holds as
the parser meets it: an atom a script attaches to, a `^`, `_` or `'` and whether it doubles one
already there, a new cell or row, and a closing `}`, `\\right` or `\\end{...}`, reporting what
is missing, stray or left open.
"""

from __future__ import annotations

from .frames import Atom, Frame, Level
from .reader import Reader


class Bookkeeper(Reader):
    """A `Reader` that keeps a formula's frames, atoms and scripts in order as they are met."""

    def atom(self, frame: Frame, op: bool = False, limits: bool = False) -> None:
        """Something was typeset in `frame`: it fills a waiting script or becomes the new base."""
        frame.cell_empty = False
        if frame.script >= 0:
            frame.script = -1
        else:
            frame.last = Atom(op=op, limits=limits)

    def script(self, lv: Level, i: int, c: str) -> None:
        frame = lv.top
        if frame.script >= 0:
            before = self.s[frame.script]
            word = "superscript" if before == "^" else "subscript"
            self.error(i, f"`{c}` right after `{before}`: the {word} is missing; use braces")
            return
        base = frame.last if frame.last is not None else Atom()
        frame.last = base
        frame.cell_empty = False
        if c == "^":
            if base.sup == "full":
                self.error(
                    i,
                    "double superscript: MathJax shows “Double exponent: use braces "
                    "to clarify”; write `x^{a^b}` or `{x^a}^b`",
                )
            base.sup = "full"
        else:
            if base.sub:
                self.error(
                    i,
                    "double subscript: MathJax shows “Double subscripts: use braces "
                    "to clarify”; write `x_{a_b}` or `{x_a}_b`",
                )
            base.sub = True
            if base.sup == "prime":  # primes merge with a `^` only straight after them
                base.sup = "full"
        frame.script = i

    def prime(self, lv: Level, i: int) -> None:
        frame = lv.top
        if frame.script >= 0:
            self.error(
                i, f"prime `'` right after `{self.s[frame.script]}`: use braces, e.g. `x^{{'}}`"
            )
            frame.script = -1
            return
        base = frame.last if frame.last is not None else Atom()
        frame.last = base
        frame.cell_empty = False
        if base.sup == "full" and not base.limits:
            self.error(
                i,
                "prime after a superscript: MathJax shows “Prime causes double "
                "exponent”; write `x'^2` or `{x^2}'`",
            )
        else:
            base.sup = "prime"

    def dangling(self, frame: Frame) -> None:
        """Report a `^` or `_` whose argument never came."""
        if frame.script >= 0:
            word = "superscript" if self.s[frame.script] == "^" else "subscript"
            self.error(
                frame.script, f"`{self.s[frame.script]}` has nothing after it: missing {word}"
            )
            frame.script = -1

    def next_cell(self, lv: Level, i: int, row: bool = False) -> None:
        frame = lv.top
        self.dangling(frame)
        frame.last, frame.over, frame.cell_empty = None, False, True
        if row:
            frame.tags = ""

    def unclosed(self, frame: Frame) -> None:
        """Report a frame still open where it had to be closed."""
        self.dangling(frame)
        if frame.kind == "group":
            self.error(frame.start, "unbalanced brace: `{` is never closed")
        elif frame.kind == "left":
            self.error(
                frame.start,
                "`\\left` without a matching `\\right` (write `\\right.` for an invisible one)",
            )
        elif frame.kind == "env":
            self.error(frame.start, f"`\\begin{{{frame.name}}}` without `\\end{{{frame.name}}}`")

    def close(self, lv: Level, i: int, kind: str, name: str = "") -> None:
        """Close the innermost open `kind` frame at i; report what is left open or stray."""
        depth = (
            next(
                (
                    k
                    for k in range(len(lv.stack) - 1, 0, -1)
                    if lv.stack[k].kind == kind and (kind != "env" or lv.stack[k].name == name)
                ),
                0,
            )
            if lv.stack.holds(kind, name)
            else 0
        )  # no walk down the stack for a stray closer
        if kind == "env" and depth == 0 and lv.top.kind == "env":
            top = lv.top
            self.error(i, f"`\\begin{{{top.name}}}` is ended by `\\end{{{name}}}`")
            depth = len(lv.stack) - 1
        elif depth == 0:
            if kind == "group":
                self.error(i, "unbalanced brace: `}` has no matching `{`")
            elif kind == "left":
                self.error(i, "`\\right` without a matching `\\left` before it")
            else:
                self.error(i, f"`\\end{{{name}}}` without `\\begin{{{name}}}`")
            return
        while len(lv.stack) - 1 > depth:
            self.unclosed(lv.stack.pop())
        frame = lv.stack.pop()
        self.dangling(frame)
        self.atom(lv.top)

    def finish(self, lv: Level) -> None:
        while len(lv.stack) > 1:
            self.unclosed(lv.stack.pop())
        self.dangling(lv.top)
