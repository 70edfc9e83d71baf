"""Anki's card rendering, reimplemented: templates, conditionals, filters and sound tags.

It follows the official backend (rslib's template.rs, and the Python side of
`Card.render_output()`) for everything the ankigen note types can meet, so that a card's question
and answer here are the very strings Anki renders. The cloze filter reads deletions with
`anki_cloze` (cloze.rs), the text filter strips markup with `html_text` (text.rs).
tests/test_preview_anki.py holds it to that, card by card, against the real backend.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..anki_cloze import cloze_numbers, reveal_clozes
from ..html_text import strip_html, strip_html_preserving_entities

# Anki's English messages for a card with nothing to show (\u2068 \u2069: Fluent's isolation)
_MORE_INFO = "<br><a href='https://docs.ankiweb.net/templates/errors.html#{}'>More information</a>"
_MISSING_CLOZE = (
    "<div>No cloze \u2068{number}\u2069 found on card.\nPlease either add a cloze deletion, or "
    "use the Empty Cards tool." + _MORE_INFO.format("no-cloze-filter-on-cloze-note-type") + "</div>"
)
_EMPTY_FRONT = (
    "<div>The front of this card is blank." + _MORE_INFO.format("front-of-card-is-blank") + "</div>"
)


class TemplateError(ValueError):
    """A template this module cannot render as Anki would."""


@dataclass(frozen=True)
class RenderedCard:
    """The two sides of a card, as Anki's `render_output()` has them."""

    question: str
    answer: str


def render_card(
    front: str,
    back: str,
    fields: Mapping[str, str],
    ordinal: int,
    *,
    is_cloze: bool,
    deck: str = "(Deck)",
) -> RenderedCard:
    """A card's question and answer HTML, as `card.render_output()` gives them.

    `ordinal` is Anki's card ordinal: 0 for a basic card, the cloze number - 1 for a cloze card.
    `deck` is the card's deck, `Parent::Child`, for the special fields `{{Deck}}` and `{{Subdeck}}`.
    """
    front_nodes, back_nodes = parse_template(front), parse_template(back)
    # Anki's special fields, as its add_special_fields() fills them: as is, unescaped, only where
    # the note has no field of that name, and counted in its blank-front check
    values = {"Deck": deck, "Subdeck": deck.rsplit("::", 1)[-1], **fields}
    nonempty = {name for name, value in values.items() if not field_is_empty(value)}
    context = _Context(values, nonempty, ordinal, question=True)
    question = _render(front_nodes, context)
    if is_cloze and ordinal + 1 not in cloze_numbers(*fields.values()):
        empty = _MISSING_CLOZE.format(number=ordinal + 1)
        return RenderedCard(_av_refs(question + empty, "q"), _av_refs(empty, "a"))
    if not is_cloze and _is_empty(front_nodes, nonempty):
        return RenderedCard(_av_refs(question + _EMPTY_FRONT, "q"), _av_refs(_EMPTY_FRONT, "a"))
    question = _av_refs(question, "q")
    answer = _render(back_nodes, _Context(values, nonempty, ordinal, False, question))
    return RenderedCard(question, _av_refs(answer, "a"))


def card_ordinals(front: str, fields: Mapping[str, str], *, is_cloze: bool) -> tuple[int, ...]:
    """The ordinals of the cards Anki makes for a note: one per cloze number, or just 0."""
    if not is_cloze:
        return (0,)
    cloze_fields = _cloze_fields(parse_template(front))
    numbers = cloze_numbers(*(value for name, value in fields.items() if name in cloze_fields))
    return tuple(number - 1 for number in sorted(numbers))


_TYPED = re.compile(r"\[\[type:(.+?)\]\]")
_ANSWER_BOX = '<center>\n<input type=text id=typeans placeholder="type the answer">\n</center>'


def typed_answer_shown(side: str, fields: Mapping[str, str], *, question: bool) -> str:
    """A side as Anki's reviewer shows `[[type:Field]]`: an answer box on the question, and on
    the answer the field compared with what was typed (here nothing: the expected answer)."""

    def shown(match: re.Match[str]) -> str:
        if not fields.get(match.group(1)):
            return ""  # the reviewer drops the box of an empty field
        if question:
            return _ANSWER_BOX
        return f"\n<div><code id=typeans>{fields[match.group(1)]}</code></div>"

    return _TYPED.sub(shown, side)


# --- templates (template.rs) ---


@dataclass(frozen=True)
class _Text:
    text: str


@dataclass(frozen=True)
class _Replacement:
    key: str
    filters: tuple[str, ...]  # in the order they apply


@dataclass(frozen=True)
class _Conditional:
    key: str
    negated: bool
    children: tuple[_Node, ...]


_Node = _Text | _Replacement | _Conditional


@functools.lru_cache(maxsize=64)  # the same few templates, for every card
def parse_template(template: str) -> tuple[_Node, ...]:
    """A template as Anki parses it; comments keep their handlebars as text."""
    tokens = _template_tokens(template)
    nodes = _parse_nodes(tokens, None)
    return tuple(nodes)


def _template_tokens(template: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    text_start = i = 0
    while i < len(template):
        for opener, closer, kind in (("{{", "}}", "handle"), ("<!--", "-->", "comment")):
            if template.startswith(opener, i):
                end = template.find(closer, i + len(opener))
                if end != -1:
                    if i > text_start:
                        tokens.append(("text", template[text_start:i]))
                    tokens.append((kind, template[i + len(opener) : end]))
                    text_start = i = end + len(closer)
                    break
        else:
            i += 1
    if text_start < len(template):
        tokens.append(("text", template[text_start:]))
    return tokens


def _parse_nodes(tokens: list[tuple[str, str]], open_key: str | None) -> list[_Node]:
    nodes: list[_Node] = []
    while tokens:
        kind, value = tokens.pop(0)
        if kind == "text":
            nodes.append(_Text(value))
            continue
        if kind == "comment":
            nodes.append(_Text(f"<!--{value}-->"))
            continue
        handle = value.lstrip("{").strip()
        marker, rest = handle[:1], handle[1:].lstrip()
        if len(handle.encode()) < 2 or marker not in "#^/":
            key, *filters = reversed(handle.split(":"))
            nodes.append(_Replacement(key, tuple(filters)))
        elif marker == "/":
            if rest != open_key:
                raise TemplateError(f"unexpected {{{{/{rest}}}}} in the template")
            return nodes
        else:
            children = _parse_nodes(tokens, rest)
            nodes.append(_Conditional(rest, marker == "^", tuple(children)))
    if open_key is not None:
        raise TemplateError(f"{{{{#{open_key}}}}} is never closed in the template")
    return nodes


@dataclass(frozen=True)
class _Context:
    fields: Mapping[str, str]
    nonempty: set[str]
    ordinal: int
    question: bool
    front_side: str = ""


def _render(nodes: Sequence[_Node], context: _Context) -> str:
    out: list[str] = []
    for node in nodes:
        if isinstance(node, _Text):
            out.append(node.text)
        elif isinstance(node, _Conditional):
            if _condition(node, context):
                out.append(_render(node.children, context))
        elif node.key == "FrontSide":
            out.append(context.front_side)  # Anki applies no filters to it
        elif node.filters == ("type",):  # left to the reviewer, which shows an answer box
            out.append(f"[[type:{node.key}]]")
        elif node.key or not node.filters:
            if node.key not in context.fields:
                raise TemplateError(f"the template uses an unknown field {{{{{node.key}}}}}")
            text = context.fields[node.key]
            for name in node.filters:
                text = _filter(name, text, context)
            out.append(text)
    return "".join(out)


def _condition(node: _Conditional, context: _Context) -> bool:
    if node.key in context.nonempty:
        return not node.negated
    if node.key in context.fields or re.fullmatch(r"c[0-9]+", node.key):
        return node.negated
    raise TemplateError(f"the template tests an unknown field {{{{#{node.key}}}}}")


def _filter(name: str, text: str, context: _Context) -> str:
    if name == "cloze":
        return _strip_html_inside_mathjax(
            reveal_clozes(text, context.ordinal + 1, question=context.question)
        )
    if name == "text":
        return strip_html(text)
    if name == "":
        return text
    raise TemplateError(f"the preview does not support Anki's {name!r} filter")


def _is_empty(nodes: Sequence[_Node], nonempty: set[str]) -> bool:
    """True when no field the template shows has content (Anki's blank-front check)."""
    for node in nodes:
        if isinstance(node, _Replacement) and node.key in nonempty:
            return False
        if isinstance(node, _Conditional):
            if (node.key in nonempty) == node.negated:
                continue
            if not _is_empty(node.children, nonempty):
                return False
    return True


def _cloze_fields(nodes: Sequence[_Node]) -> set[str]:
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, _Replacement) and "cloze" in node.filters:
            found.add(node.key)
        elif isinstance(node, _Conditional):
            found |= _cloze_fields(node.children)
    return found


_EMPTY_FIELD = re.compile(r"^(?:[\t\n\x0b\x0c\r ]|</?(?:br|div) ?/?>)*$", re.IGNORECASE)


def field_is_empty(text: str) -> bool:
    """Anki's test: nothing but whitespace and empty `<br>`/`<div>` tags."""
    return _EMPTY_FIELD.match(text) is not None


# --- the cloze filter's last step (cloze.rs) ---

_MATHJAX = re.compile(r"(\\[(\[])(.*?)(\\[\])])", re.DOTALL)


def _strip_html_inside_mathjax(text: str) -> str:
    """Deletion markup inside `\\(...\\)` and `\\[...\\]` is dropped, so MathJax sees TeX."""

    def strip(match: re.Match[str]) -> str:
        return match.group(1) + strip_html_preserving_entities(match.group(2)) + match.group(3)

    return _MATHJAX.sub(strip, text)


_SOUND = re.compile(r"\[sound:([^\]]+)\]")


def _av_refs(text: str, side: str) -> str:
    """Sound tags become Anki's `[anki:play:q:N]` references (`[anki:tts]` is not supported)."""
    count = iter(range(1 << 30))
    return _SOUND.sub(lambda _: f"[anki:play:{side}:{next(count)}]", text)
