"""A formula with Anki cloze markup as MathJax receives it on each side of each card.

The markup is read by `anki_cloze`, Anki's own reading: a deletion that is never closed vanishes
from every side, as it does in Anki.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..anki_cloze import Cloze, Span, cloze_numbers, parse_clozes


def cloze_sides(tex: str) -> list[tuple[str, str, list[int]]]:
    """The formula as MathJax receives it on each side of each card: (label, text, offsets)."""
    nodes = parse_clozes(tex)
    ordinals = sorted(cloze_numbers(tex))
    sides: list[tuple[str, int | None]] = [("", None)] + [(f"c{n}", n) for n in ordinals[:20]]
    result = []
    for label, hidden in sides:
        chars: list[str] = []
        where: list[int] = []
        _render_side(tex, nodes, hidden, chars, where)
        result.append((label, "".join(chars), where))
    return result


def _render_side(
    tex: str,
    nodes: Sequence[Span | Cloze],
    hidden: int | None,
    chars: list[str],
    where: list[int],
) -> None:
    """Append the text MathJax sees, with the original offset of every character."""
    for node in nodes:
        if isinstance(node, tuple):
            chars.extend(tex[node[0] : node[1]])
            where.extend(range(node[0], node[1]))
        elif hidden in node.ordinals:
            shown = f"[{tex[node.hint[0] : node.hint[1]]}]" if node.hint else "[...]"
            chars.extend(shown)
            where.extend([node.start] * len(shown))
        else:
            _render_side(tex, node.nodes, hidden, chars, where)
