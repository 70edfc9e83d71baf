"""The `==text==` cloze shorthand for markdown-it (after markdown-it-mark, which mdit-py-plugins
does not ship): it makes cloze_open/cloze_close tokens, which render numbers."""

from __future__ import annotations

from typing import Literal

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.rules_inline.state_inline import Delimiter

_EQUALS = 0x3D


def cloze_shorthand_plugin(md: MarkdownIt) -> None:
    """Parse `==text==` into cloze_open/cloze_close tokens; the renderer numbers them."""
    md.inline.ruler.before("emphasis", "cloze_shorthand", _tokenize)
    md.inline.ruler2.before("emphasis", "cloze_shorthand", _post_process)


def _tokenize(state: StateInline, silent: bool) -> bool:
    if silent or state.src[state.pos] != "=":
        return False
    scanned = state.scanDelims(state.pos, True)
    length = scanned.length
    if length < 2:
        return False
    if length % 2:
        state.push("text", "", 0).content = "="
        length -= 1
    for _ in range(length // 2):
        token = state.push("text", "", 0)
        token.content = "=="
        state.delimiters.append(
            Delimiter(
                marker=_EQUALS,
                length=0,
                token=len(state.tokens) - 1,
                end=-1,
                open=scanned.can_open,
                close=scanned.can_close,
            )
        )
    state.pos += scanned.length
    return True


def _pair(state: StateInline, delimiters: list[Delimiter]) -> None:
    for start in delimiters:
        if start.marker != _EQUALS or start.end == -1:
            continue
        end = delimiters[start.end]
        ends: tuple[tuple[int, str, Literal[1, -1]], ...] = (
            (start.token, "cloze_open", 1),
            (end.token, "cloze_close", -1),
        )
        for index, kind, nesting in ends:
            token = state.tokens[index]
            token.type, token.nesting, token.markup, token.content = kind, nesting, "==", ""


def _post_process(state: StateInline) -> None:
    _pair(state, state.delimiters)
    for meta in state.tokens_meta:
        if meta and "delimiters" in meta:
            _pair(state, meta["delimiters"])
