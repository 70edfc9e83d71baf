"""A formula with Anki cloze markup as MathJax receives it on each side of each card."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_CLOZE_OPEN = re.compile(r"\{\{c(\d{1,5})::")


@dataclass
class _Cloze:
    """One `{{cN::...::hint}}` as Anki's cloze parser reads it; parts are spans or inner clozes."""

    ordinal: int
    start: int
    head_end: int
    parts: list[_Cloze | tuple[int, int]] = field(default_factory=list)
    hint: tuple[int, int] | None = None


def _parse_clozes(tex: str) -> list[_Cloze | tuple[int, int]]:
    """Split `tex` into text spans and clozes exactly where Anki's tokenizer splits it."""
    out: list[_Cloze | tuple[int, int]] = []
    open_: list[_Cloze] = []

    def text(a: int, b: int) -> None:
        if a >= b:
            return
        if not open_:
            out.append((a, b))
            return
        k = tex.find("::", a, b)
        if k >= 0:
            open_[-1].hint = (k, b)
            b = k
        open_[-1].parts.append((a, b))

    i = start = 0
    while i < len(tex):
        m = _CLOZE_OPEN.match(tex, i)
        if m and int(m.group(1)) <= 0xFFFF:
            text(start, i)
            if len(open_) < 10:
                open_.append(_Cloze(int(m.group(1)), i, m.end()))
            i = start = m.end()
        elif tex.startswith("}}", i):
            text(start, i)
            if open_:
                cloze = open_.pop()
                (open_[-1].parts if open_ else out).append(cloze)
            else:
                out.append((i, i + 2))
            i = start = i + 2
        else:
            i += 1
    text(start, len(tex))
    while open_:  # an unterminated cloze is plain text for Anki
        cloze = open_.pop()
        spans = [(cloze.start, cloze.head_end), *cloze.parts]
        if cloze.hint:
            spans.append(cloze.hint)
        (open_[-1].parts if open_ else out).extend(spans)
    return out


def cloze_sides(tex: str) -> list[tuple[str, str, list[int]]]:
    """The formula as MathJax receives it on each side of each card: (label, text, offsets)."""
    nodes = _parse_clozes(tex)
    ordinals = sorted(_ordinals(nodes))
    sides = [("", None)] + [(f"c{n}", n) for n in ordinals[:20]]
    result = []
    for label, hidden in sides:
        chars: list[str] = []
        where: list[int] = []
        _render_side(tex, nodes, hidden, chars, where)
        result.append((label, "".join(chars), where))
    return result


def _ordinals(nodes: list[_Cloze | tuple[int, int]]) -> set[int]:
    """The cloze numbers used anywhere in `nodes`."""
    found: set[int] = set()
    for node in nodes:
        if isinstance(node, _Cloze):
            found.add(node.ordinal)
            found |= _ordinals(node.parts)
    return found


def _render_side(
    tex: str,
    nodes: list[_Cloze | tuple[int, int]],
    hidden: int | None,
    chars: list[str],
    where: list[int],
) -> None:
    """Append the text MathJax sees, with the original offset of every character."""
    for node in nodes:
        if isinstance(node, tuple):
            chars.extend(tex[node[0] : node[1]])
            where.extend(range(node[0], node[1]))
        elif node.ordinal == hidden:
            shown = f"[{tex[node.hint[0] + 2 : node.hint[1]]}]" if node.hint else "[...]"
            chars.extend(shown)
            where.extend([node.start] * len(shown))
        else:
            _render_side(tex, node.parts, hidden, chars, where)
