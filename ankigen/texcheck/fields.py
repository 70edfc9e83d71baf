"""The formulas MathJax will find in a card's own text, beyond its `$...$` ones.

Markdown turns `\\\\(...\\\\)` into `\\(...\\)`, which Anki's MathJax typesets like any formula;
`parse` checks only the `$...$` ones, so these are read here off the tokens, for `check` and
`build` alike (`render` checks the finished fields once more, skipping what is found here).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it.token import Token

    from ..errors import Diagnostics, Location

SPAN = re.compile(r"\\\((.*?)\\\)|\\\[(.*?)\\\]", re.DOTALL)  # MathJax's delimiters in Anki
_MATH = {"math_inline": "\\(%s\\)", "math_inline_double": "\\[%s\\]"}


def text_formulas(tokens: Sequence[Token], allow_html: bool) -> list[str]:
    """The TeX of each `\\(...\\)` and `\\[...\\]` that the card's text, not a `$`, makes."""
    found: list[str] = []
    for token in tokens:
        if token.type in ("fence", "code_block") and not token.info.startswith("plot"):
            found += [tex for tex in _spans(token.content) if tex.strip()]
        elif token.type == "inline" and ("\\(" in token.content or "\\[" in token.content):
            formulas: set[str] = set()
            found += [t for t in _spans(_text(token, allow_html, formulas)) if t not in formulas]
    return found


def _text(inline: Token, allow_html: bool, formulas: set[str]) -> str:
    """An inline token's text as it will stand in the field, formulas in MathJax's delimiters."""
    children = inline.children
    if not children:  # `check` tokenizes inline content only where it needs it
        from ..parse import markdown_parser

        md = markdown_parser(allow_html)
        children = md.parseInline(inline.content, {})[0].children or []
    parts = []
    for child in children:
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type in _MATH:
            formulas.add(child.content.strip())
            parts.append(_MATH[child.type] % child.content)
    return "".join(parts)


def _spans(text: str) -> Iterable[str]:
    for match in SPAN.finditer(text):
        yield (match.group(1) or match.group(2) or "").strip()


def check_text_formulas(
    tokens: Sequence[Token], allow_html: bool, where: Location, diagnostics: Diagnostics
) -> None:
    """Report, at the card, what the formulas its text makes would do to the card."""
    from . import unsafe_tex

    for tex in dict.fromkeys(text_formulas(tokens, allow_html)):
        for problem in unsafe_tex(tex):
            diagnostics.error(where, f"formula: {problem.message}")
