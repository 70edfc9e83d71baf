"""The formulas MathJax will find in a card's own text, beyond its `$...$` ones.

Markdown turns `\\\\(...\\\\)` into `\\(...\\)`, which Anki's MathJax typesets like any formula,
and so it does with a `\\(...\\)` in a note file's name, shown in the Source field. `parse`
checks only the `$...$` ones, so these are read here off the tokens, for `check` and `build`
alike (parse's rule `text_made_formulas` checks them; `render` checks the finished fields once
more, skipping what is found here).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it.token import Token

    from ..model import SourceFile

SPAN = re.compile(r"\\\((.*?)\\\)|\\\[(.*?)\\\]", re.DOTALL)  # MathJax's delimiters in Anki
_MATH = {"math_inline": "\\(%s\\)", "math_inline_double": "\\[%s\\]"}
_JOINED = {"text": None, "softbreak": "\n", "hardbreak": "\n", "cloze_open": "{{c1::"}
_JOINED["cloze_close"] = "}}"
# MathJax looks for formulas in each run of text, joined across <br> and comments only.
_TAG = re.compile(r"<!--.*?-->|<(br|wbr)\b[^>]*>|<[^>]*>", re.DOTALL | re.IGNORECASE)


def text_formulas(tokens: Sequence[Token], allow_html: bool, source: SourceFile) -> list[str]:
    """The TeX of each `\\(...\\)` and `\\[...\\]` that the card's text, not a `$`, makes.

    The card's Source field, the note file's path in its notes folder, is text on the card too.
    """
    found = [tex for tex in spans(source.path.relative_to(source.root).as_posix()) if tex]
    for token in tokens:
        if token.type in ("fence", "code_block") and not token.info.startswith("plot"):
            found += [tex for tex in spans(token.content) if tex]
        elif token.type == "html_block":  # with allow_html
            found += [tex for run in field_strings(token.content) for tex in spans(run) if tex]
        elif token.type == "inline" and ("\\(" in token.content or "\\[" in token.content):
            formulas: set[str] = set()
            for text in _strings(token, allow_html, formulas):
                found += [tex for tex in spans(text) if tex not in formulas]
    return found


def _strings(inline: Token, allow_html: bool, formulas: set[str]) -> list[str]:
    """An inline token's runs of text as they will stand in the field, each MathJax's to read."""
    children = inline.children
    if not children:  # `check` tokenizes inline content only where it needs it
        from ..markdown import markdown_parser

        md = markdown_parser(allow_html)
        children = md.parseInline(inline.content, {})[0].children or []
    runs, parts = [], []
    for child in children:
        if child.type in _JOINED:
            parts.append(_JOINED[child.type] or child.content)
        elif child.type in _MATH:
            formulas.add(child.content.strip())
            parts.append(_MATH[child.type] % child.content)
        else:  # a tag in the field: a link, emphasis, code (read on its own, to be safe)...
            runs.append("".join(parts))
            parts = [child.content] if child.type == "code_inline" else []
    return [*runs, "".join(parts)]


def field_strings(field: str) -> list[str]:
    """A finished field's runs of text, as MathJax reads them for formulas."""
    runs, parts, at = [], [], 0
    for tag in _TAG.finditer(field):
        parts.append(field[at : tag.start()])
        if tag.group(1) is not None:
            parts.append("\n" if tag.group(1).lower() == "br" else "")
        elif not tag.group().startswith("<!--"):
            runs.append("".join(parts))
            parts = []
        at = tag.end()
    runs.append("".join([*parts, field[at:]]))
    return [html.unescape(run) for run in runs]


def spans(text: str) -> Iterable[str]:
    """The TeX of each formula in one run of text, stripped."""
    for match in SPAN.finditer(text):
        yield (match.group(1) or match.group(2) or "").strip()
