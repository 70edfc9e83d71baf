"""The state of one MathJax parser: its stack of open groups and the atom scripts attach to."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import SupportsIndex


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


class Stack(list[Frame]):
    """Open frames, counted by kind (and environment name) and with their environments listed,
    so that closing or finding one costs no walk down a deep stack."""

    def __init__(self, frames: list[Frame]) -> None:
        super().__init__()
        self.open: Counter[tuple[str, str]] = Counter()
        self.envs: list[Frame] = []
        for frame in frames:
            self.append(frame)

    def append(self, frame: Frame) -> None:
        super().append(frame)
        self.open[frame.kind, frame.name if frame.kind == "env" else ""] += 1
        if frame.kind == "env":
            self.envs.append(frame)

    def pop(self, index: SupportsIndex = -1) -> Frame:
        assert index == -1, "frames are closed from the top"
        frame = super().pop()
        self.open[frame.kind, frame.name if frame.kind == "env" else ""] -= 1
        if frame.kind == "env":
            self.envs.pop()
        return frame

    def holds(self, kind: str, name: str = "") -> bool:
        """Whether a frame of this kind (an environment of this name) is open."""
        return self.open[kind, name if kind == "env" else ""] > 0


class Level:
    """One MathJax parser: MathJax reads every argument with a fresh parser of its own."""

    def __init__(self, end: int, tabs: bool) -> None:
        self.end = end
        self.stack = Stack([Frame("top", 0, tabs=tabs)])
        self.equation = False

    @property
    def top(self) -> Frame:
        return self.stack[-1]
