"""The state of one MathJax parser: its stack of open groups and the atom scripts attach to."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Atom:
    """The last thing typeset in a list: what a following `^`, `_`, `'` or \\limits attaches to."""

    op: bool = False
    limits: bool = False  # an operator whose scripts go above and below
    sup: str = ""  # "", "prime" or "full"
    sub: bool = False


@dataclass
class Frame:
    """An open `{`, \\left or \\begin on one parser's stack."""

    kind: str  # "top", "group", "left" or "env"
    start: int
    name: str = ""
    tabs: bool = False  # `&` and `\\` separate cells here
    last: Atom | None = None
    script: int = -1  # index of a `^` or `_` still waiting for its argument
    over: bool = False
    cell_empty: bool = True
    tags: str = ""  # "t" for each \tag and "l" for each \label on the current line


class Level:
    """One MathJax parser: MathJax reads every argument with a fresh parser of its own."""

    def __init__(self, end: int, tabs: bool) -> None:
        self.end = end
        self.stack = [Frame("top", 0, tabs=tabs)]
        self.equation = False

    @property
    def top(self) -> Frame:
        return self.stack[-1]
