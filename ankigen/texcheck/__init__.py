"""Check a TeX formula the way Anki's MathJax 3 reads it, so a broken one fails the build.

A small re-implementation of the part of MathJax's TeX parser that raises errors: braces,
arguments, ``\\left``/``\\right``, environments, alignment tabs, scripts and the names MathJax
knows. Anki's reviewer loads MathJax 3's ``tex-chtml-full`` build (every TeX package but
``physics``) without ``textmacros``; the tables in `names` and `environments` were taken from
MathJax 3.2.2 run with that configuration, and the test formulas were typeset by it.

The package reads a formula in stages: `cloze_sides` gives the text MathJax sees on each side
of each card, `formula` parses it (with `reader` for the low-level tokens, `frames` for the
parser's stack, `bookkeeping` for its atoms, scripts, cells and closing frames, `commands` for
the commands with rules of their own and `definitions` for those that define new ones), against
the tables of `names` and `environments`. `safety` holds the allow-list of what a formula may do
to the card's HTML (its problems are marked `unsafe`), and `fields` finds the formulas a card's
text makes beyond its `$...$`.
"""

from __future__ import annotations

from .cloze_sides import cloze_sides
from .formula import TexParser
from .reader import TexProblem

__all__ = ["TexProblem", "check_tex", "unsafe_tex"]

_MOST = 20  # problems reported for one formula


def check_tex(tex: str, display: bool = False) -> list[TexProblem]:
    """Every problem MathJax would show as red error text; empty list for a formula it typesets.

    Anki cloze markup inside the formula is read as Anki reads it: the answer side and the
    question side of each cloze number are checked, with offsets into `tex` itself. `display`
    is accepted for symmetry: MathJax raises the same errors in inline and display mode.
    """
    del display
    found: dict[tuple[int, str], TexProblem] = {}
    for side, text, where in cloze_sides(tex):
        for problem in TexParser(text, where).check():
            key = (problem.offset, problem.message)
            if key in found:
                continue
            if side:
                early = "`}` has no matching" in problem.message
                note = "; a `}}` inside the cloze ended it early: write `} }`" if early else ""
                message = (
                    f"{problem.message} (on the front of card {side}, where the cloze "
                    f"reads `[...]`{note})"
                )
                problem = TexProblem(problem.offset, message, problem.severity, problem.unsafe)
            found[key] = problem
    ordered = sorted(found.values(), key=lambda p: (p.offset, p.severity != "error"))
    kept = {*[p for p in ordered if not p.unsafe][:_MOST], *[p for p in ordered if p.unsafe]}
    return [p for p in ordered if p in kept]  # however many other problems, every unsafe one


def unsafe_tex(tex: str) -> list[TexProblem]:
    """What the formula would do to the card's HTML that notes may not: `safety`'s problems."""
    return [problem for problem in check_tex(tex) if problem.unsafe]
