"""Card rules that read the raw markdown, where columns are exact: links and HTML, sound tags,
clozes, `$$` left open, and the TeX of every `$...$` formula."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from markdown_it.token import Token

from ..cloze import span_at, unclosed_display_math
from ..errors import Diagnostic
from ..storable import SOUND_MESSAGE, own_media_images, sound_tags
from ..texcheck import TexProblem
from .card import CardDraft, FileContext, RawText, error, warning

_HTML_TAGS = (
    "a abbr address article aside audio b big blockquote body br button canvas center code del "
    "details div dl em embed font footer form h1 h2 h3 h4 h5 h6 head header hr html i iframe img "
    "input ins kbd li link mark meta object ol p picture pre s script section select small source "
    "span strike strong style sub summary sup svg table tbody td template th thead tr u ul video"
)
_RAW_HTML = re.compile(rf"<!--|</?({'|'.join(_HTML_TAGS.split())})(?=[\s/>])", re.IGNORECASE)
# possessive: on `](` and many spaces, backtracking would make this quadratic
_BAD_LINK = re.compile(r"\]\(\s*+<?\s*+(javascript|vbscript|file)\s*+:", re.IGNORECASE)


def markup(card: CardDraft, context: FileContext) -> Iterator[Diagnostic]:
    """Links that could run a script are errors; raw HTML, shown as text, is worth a word."""
    for raw in card.raw:
        yield from _markup(raw, context.allow_html)


def _markup(raw: RawText, allow_html: bool) -> Iterator[Diagnostic]:
    text, spans = raw.text, raw.spans
    for match in _BAD_LINK.finditer(text):
        if span_at(spans, match.start()) is None:
            scheme = match.group(1).lower()
            message = f"link to a `{scheme}:` address: links go to web pages"
            yield error(raw.at(match.start() + 1), message)
    if allow_html:
        for offset, name in own_media_images(text):
            if span_at(spans, offset) is None:
                yield error(
                    raw.at(offset),
                    f"`<img>` names the media file {name!r} itself, which the package may not "
                    "hold: show a picture with ![alt](file)",
                )
        return
    for match in _RAW_HTML.finditer(text):
        if span_at(spans, match.start()) is None:
            yield warning(
                raw.at(match.start()),
                f"raw HTML `{match.group()}…` is shown as text (allow_html = true keeps it, "
                "cleaned of scripts)",
            )
            return  # once per heading or body is enough to explain it


def sound(card: CardDraft, context: FileContext) -> Iterator[Diagnostic]:
    """`[sound:…]` tags, which Anki reads in code and formulas too."""
    for raw in card.raw:
        for offset in sound_tags(raw.text):
            yield error(raw.at(offset), SOUND_MESSAGE)


def clozes(card: CardDraft, context: FileContext) -> Iterator[Diagnostic]:
    """`{{cN::…}}` deletions Anki would read otherwise than they were meant."""
    for raw in card.raw:
        for problem in raw.clozes.problems:
            yield error(raw.at(problem.offset), problem.message)


def open_display_math(card: CardDraft, context: FileContext) -> Iterator[Diagnostic]:
    """A `$$` that markdown left as text, outside code, opens a formula that never closes."""
    for raw, tokens in ((card.raw_heading, [card.heading]), (card.raw_body, card.body)):
        dollar_lines: set[int] | None = None
        for offset in unclosed_display_math(raw.text, raw.spans):
            if dollar_lines is None:
                dollar_lines = _shows_dollars(tokens)
            if raw.line_of(offset) in dollar_lines:
                yield error(raw.at(offset), "formula opened with `$$` is never closed")
                break


def _shows_dollars(tokens: list[Token]) -> set[int]:
    """The lines where markdown left a `$$` as text (an unclosed formula), not in code.

    Reads inline tokens: see `markdown.READ_AS_INLINE_TOKENS`."""
    return {
        line
        for token in tokens
        if token.type == "inline"
        and token.map
        and any(c.type == "text" and "$$" in c.content for c in token.children or ())
        for line in range(token.map[0], token.map[1])
    }


def formulas(card: CardDraft, context: FileContext) -> Iterator[Diagnostic]:
    """The TeX of each `$...$` and `$$...$$`: what MathJax would reject or what could harm."""
    for raw in card.raw:
        for formula in raw.formulas:
            for problem in _tex_problems(formula.tex):
                where = raw.at(formula.tex_start + problem.offset)
                message = f"formula: {problem.message}"
                yield (
                    error(where, message)
                    if problem.severity == "error"
                    else warning(where, message)
                )


@lru_cache(maxsize=4096)  # decks repeat their formulas
def _tex_problems(tex: str) -> tuple[TexProblem, ...]:
    from ..texcheck import check_tex

    return tuple(check_tex(tex))
