"""The markdown-it parsers ankigen reads notes with: CommonMark, tables, strikethrough, links,
math and cloze shorthand, built by `markdown_parser` (for parse) and `rendering_parser` (for
render: the same parser with ankigen's render rules, which parse never needs); and the kramdown
markup dropped from their tokens."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from .cloze_shorthand import cloze_shorthand_plugin

KRAMDOWN_IAL = re.compile(r"^\{:[^}]*\}$")

# The checks read inline tokens only for these (`$$` left as text, images); everything else
# they read off the raw text. `check` tokenizes the inline content of the others not at all.
READ_AS_INLINE_TOKENS = ("$$", "![")

RenderRule = Callable[..., str]  # markdown-it's (renderer, tokens, index, options, env) -> HTML


@cache
def markdown_parser(allow_html: bool, checks_only: bool = False) -> MarkdownIt:
    """The parser parse uses, one per setting, shared by every file of a process.

    `checks_only` is for `check`: inline content is tokenized only where a check reads its
    tokens, which saves a third of the parsing; such tokens must never be rendered.
    """
    md = _new_parser(allow_html)
    if checks_only:
        md.core.ruler.at("inline", _inline_read_by_checks)
    return md


def rendering_parser(allow_html: bool, rules: Mapping[str, RenderRule]) -> MarkdownIt:
    """A parser of its own, as `markdown_parser` makes it, that renders with `rules`.

    Not cached here: `render` keeps the one it makes, for it alone knows its rules.
    """
    md = _new_parser(allow_html)
    for name, rule in rules.items():
        md.add_render_rule(name, rule)
    return md


def _new_parser(allow_html: bool) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": allow_html, "linkify": True, "typographer": False})
    md.enable(["table", "strikethrough", "linkify"])
    md.use(front_matter_plugin)
    md.use(
        dollarmath_plugin,
        allow_space=True,
        allow_digits=False,
        allow_blank_lines=False,  # an unclosed `$$` must not swallow the cards after it
        double_inline=True,
    )
    md.use(cloze_shorthand_plugin)
    _skip_linkify_without_links(md)
    return md


def _inline_read_by_checks(state: Any) -> None:
    for token in state.tokens:
        if token.type == "inline":
            token.children = []
            if any(needle in token.content for needle in READ_AS_INLINE_TOKENS):
                state.md.inline.parse(token.content, state.md, state.env, token.children)


def _skip_linkify_without_links(md: MarkdownIt) -> None:
    """linkify tests every text token with a large pattern; most notes have no bare links."""
    from markdown_it.rules_core import linkify

    def maybe_linkify(state: Any) -> None:
        if "://" in state.src or "www." in state.src or "@" in state.src:
            linkify(state)

    md.core.ruler.at("linkify", maybe_linkify)


def drop_kramdown_markup(tokens: list[Token], skip_headings: bool = False) -> list[Token]:
    """Remove kramdown's `{:toc}` list and lone attribute lines, which mean nothing to Anki."""
    kept: list[Token] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        end = _block_end(tokens, i)
        block = tokens[i:end]
        inline = [t.content for t in block if t.type == "inline"]
        is_toc = token.type in ("bullet_list_open", "ordered_list_open") and any(
            line.strip() == "{:toc}" for text in inline for line in text.split("\n")
        )
        is_ial = (
            token.type == "paragraph_open"
            and len(inline) == 1
            and bool(KRAMDOWN_IAL.match(inline[0].strip()))
        )
        if skip_headings and token.type in ("heading_open", "front_matter"):
            pass
        elif not (is_toc or is_ial):
            kept.extend(block)
        i = end
    return kept


def _block_end(tokens: list[Token], start: int) -> int:
    """Index just past the block that starts at `start` (matching its closing token)."""
    depth = 0
    for i in range(start, len(tokens)):
        depth += tokens[i].nesting
        if depth <= 0 and tokens[i].level == tokens[start].level:
            return i + 1
    return len(tokens)
