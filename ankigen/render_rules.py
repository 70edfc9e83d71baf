"""The markdown-it render rules cards are rendered with, and the parser that holds them.

Images become media files named after their content, formulas go to MathJax, `==x==` deletions
get their cloze numbers, and code is highlighted. Plots, and formulas drawn as pictures (with
`math = "svg"`), are marked, for `picture_marks.fill` to write once they are drawn. The rules
read and write one `RenderEnv` per card, made by `render_env`."""

from __future__ import annotations

from functools import cache
from typing import Any, TypedDict

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .cloze import CLOZE_ATTEMPT
from .highlight import code_html, plain_code
from .markdown import RenderRule, rendering_parser
from .model import Card, MediaFile, media_file
from .picture_marks import Marked, mark, mathjax


class RenderEnv(TypedDict):
    """markdown-it's `env` while one card renders: what the rules read and what they add."""

    card: Card
    media: dict[str, MediaFile]  # by name: every media file the fields refer to
    next_cloze: int  # the number the next `==x==` deletion gets
    plots: dict[int, str]  # job keys of the plots by the index of their block in the body
    formulas: dict[tuple[str, bool], str]  # job keys of the formulas to draw, by (TeX, display)
    marked: list[Marked]  # the pictures marked in the HTML, by the number in their marker


def render_env(card: Card) -> RenderEnv:
    return {
        "card": card,
        "media": {},
        "next_cloze": card.cloze_highest + 1,
        "plots": {},
        "formulas": {},
        "marked": [],
    }


@cache
def card_parser(allow_html: bool) -> MarkdownIt:
    """The parser that renders cards, with the rules below; one per setting."""
    return rendering_parser(allow_html, _RENDER_RULES)


def _image(self: Any, tokens: list[Token], idx: int, options: Any, env: RenderEnv) -> str:
    """An image, pointed at a media file named after its content (parse checked the file)."""
    token = tokens[idx]
    src = str(token.attrs.get("src", ""))
    path = dict(env["card"].images).get(src)
    if path is None:
        return str(self.image(tokens, idx, options, env))
    media = media_file(path.read_bytes(), path.suffix)
    env["media"][media.name] = media
    pointed = token.copy(attrs={**token.attrs, "src": media.name})
    return str(self.image([*tokens[:idx], pointed], idx, options, env))


def _formula(tex: str, display: bool, block: bool, env: RenderEnv) -> str:
    """A formula to draw, marked; else the TeX between MathJax's delimiters."""
    key = env["formulas"].get((tex.strip(), display))
    if key is not None:
        return mark(env["marked"], Marked(key, (tex, display, block)))
    return mathjax(tex, display, block)


def _math_inline(self: Any, tokens: list[Token], idx: int, options: Any, env: RenderEnv) -> str:
    return _formula(tokens[idx].content, False, False, env)


def _math_display_inline(
    self: Any, tokens: list[Token], idx: int, options: Any, env: RenderEnv
) -> str:
    return _formula(tokens[idx].content, True, False, env)


def _math_block(self: Any, tokens: list[Token], idx: int, options: Any, env: RenderEnv) -> str:
    return _formula(tokens[idx].content, True, True, env)


def _cloze_open(self: Any, tokens: list[Token], idx: int, options: Any, env: RenderEnv) -> str:
    number = env["next_cloze"]
    env["next_cloze"] = number + 1
    return f"{{{{c{number}::"


def _cloze_close(self: Any, tokens: list[Token], idx: int, options: Any, env: RenderEnv) -> str:
    return "}}"


def _fence(self: Any, tokens: list[Token], idx: int, options: Any, env: RenderEnv) -> str:
    token = tokens[idx]
    if idx in env["plots"]:
        return mark(env["marked"], Marked(env["plots"][idx]))
    if token.info.split()[:1] == ["plot"]:
        return ""  # a plot block with problems; they are reported already
    language = token.info.strip().split()[0] if token.info.strip() else env["card"].code_language
    code = token.content
    if CLOZE_ATTEMPT.search(code):
        # Highlighting would split `{{c1::` across spans and Anki would no longer see the cloze.
        return plain_code(code)
    return code_html(code, language)  # plain when parse warned of an unknown language


def _code_block(self: Any, tokens: list[Token], idx: int, options: Any, env: RenderEnv) -> str:
    return plain_code(tokens[idx].content)


_RENDER_RULES: dict[str, RenderRule] = {
    "image": _image,
    "math_inline": _math_inline,
    "math_inline_double": _math_display_inline,
    "math_block": _math_block,
    "math_block_label": _math_block,
    "cloze_open": _cloze_open,
    "cloze_close": _cloze_close,
    "fence": _fence,
    "code_block": _code_block,
}
