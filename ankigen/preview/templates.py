"""Anki's card rendering, reimplemented: templates, conditionals, clozes and sound tags.

It follows the official backend (rslib's template.rs, cloze.rs and text.rs, and the Python side of
`Card.render_output()`) for everything the ankigen note types can meet, so that a card's question
and answer here are the very strings Anki renders. tests/test_preview_anki.py holds it to that,
card by card, against the real backend.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

MAX_CLOZE_DEPTH = 10  # Anki ignores a deletion opened inside ten open ones

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
    if is_cloze and ordinal + 1 not in cloze_numbers(fields.values()):
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
    numbers = cloze_numbers(value for name, value in fields.items() if name in cloze_fields)
    return tuple(number - 1 for number in sorted(numbers))


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


# --- clozes (cloze.rs) ---

_CLOZE_MARKER = re.compile(r"\{\{c([0-9]+)::|\}\}")


@dataclass
class _Cloze:
    ordinal: int
    nodes: list[str | _Cloze] = field(default_factory=list)
    hint: str | None = None


def _cloze_tokens(text: str) -> list[tuple[str, str | int]]:
    """Text, `open` (with its number) and `close` tokens, as Anki's cloze tokenizer splits them."""
    tokens: list[tuple[str, str | int]] = []
    position = search_from = 0
    while (marker := _CLOZE_MARKER.search(text, search_from)) is not None:
        number = marker.group(1)
        if number is not None and int(number) > 0xFFFF:
            search_from = marker.start() + 1  # not a number Anki can read: plain text
            continue
        if marker.start() > position:
            tokens.append(("text", text[position : marker.start()]))
        tokens.append(("open", int(number)) if number is not None else ("close", ""))
        position = search_from = marker.end()
    if position < len(text):
        tokens.append(("text", text[position:]))
    return tokens


def _parse_clozes(text: str) -> list[str | _Cloze]:
    output: list[str | _Cloze] = []
    open_clozes: list[_Cloze] = []
    for kind, value in _cloze_tokens(text):
        if kind == "open":
            if len(open_clozes) < MAX_CLOZE_DEPTH:
                open_clozes.append(_Cloze(int(value)))
        elif kind == "text":
            assert isinstance(value, str)
            if open_clozes:
                head, separator, tail = value.partition("::")
                if separator:
                    value, open_clozes[-1].hint = head, tail
                open_clozes[-1].nodes.append(value)
            else:
                output.append(value)
        elif open_clozes:
            closed = open_clozes.pop()
            (open_clozes[-1].nodes if open_clozes else output).append(closed)
        else:
            output.append("}}")
    return output  # deletions never closed vanish, as in Anki


def cloze_numbers(texts: Iterable[str]) -> set[int]:
    """Every cloze number in the texts, nested deletions included (Anki's card numbers)."""
    numbers: set[int] = set()

    def collect(nodes: Sequence[str | _Cloze]) -> None:
        for node in nodes:
            if isinstance(node, _Cloze):
                if node.ordinal != 0:
                    numbers.add(node.ordinal)
                collect(node.nodes)

    for text in texts:
        collect(_parse_clozes(text))
    return numbers


def reveal_clozes(text: str, number: int, *, question: bool) -> str:
    """The text with deletion `number` hidden (question) or shown (answer); "" if it has none."""
    found = [False]

    def reveal(cloze: _Cloze) -> str:
        active = cloze.ordinal == number
        found[0] |= active
        inner = "".join(n if isinstance(n, str) else reveal(n) for n in cloze.nodes)
        if active and question:
            hint = "..." if cloze.hint is None else cloze.hint
            return (
                f'<span class="cloze" data-cloze="{encode_attribute(inner)}" '
                f'data-ordinal="{cloze.ordinal}">[{hint}]</span>'
            )
        kind = "cloze" if active else "cloze-inactive"
        return f'<span class="{kind}" data-ordinal="{cloze.ordinal}">{inner}</span>'

    out = "".join(n if isinstance(n, str) else reveal(n) for n in _parse_clozes(text))
    return out if found[0] else ""


def clozes_as_text(text: str) -> str:
    """The text with every deletion shown plainly, without markers or hints."""

    def show(nodes: Sequence[str | _Cloze]) -> str:
        return "".join(n if isinstance(n, str) else show(n.nodes) for n in nodes)

    return show(_parse_clozes(text))


_MATHJAX = re.compile(r"(\\[(\[])(.*?)(\\[\])])", re.DOTALL)


def _strip_html_inside_mathjax(text: str) -> str:
    """Deletion markup inside `\\(...\\)` and `\\[...\\]` is dropped, so MathJax sees TeX."""
    return _MATHJAX.sub(lambda m: m.group(1) + _HTML.sub("", m.group(2)) + m.group(3), text)


_MINIMAL_ENTITIES = {'"': "&quot;", "&": "&amp;", "'": "&#x27;", "<": "&lt;", ">": "&gt;"}


def encode_attribute(text: str) -> str:
    """The htmlescape crate's attribute encoding, which Anki uses for `data-cloze`."""
    out = []
    for char in text:
        if char in _MINIMAL_ENTITIES:
            out.append(_MINIMAL_ENTITIES[char])
        elif ord(char) < 256 and not (char.isascii() and char.isalnum()):
            out.append(f"&#x{ord(char):02X};")
        else:
            out.append(char)
    return "".join(out)


# --- text (text.rs) ---

_HTML = re.compile(
    r"(<!--.*?-->)|(<style.*?>.*?</style>)|(<script.*?>.*?</script>)|(<.*?>)",
    re.DOTALL | re.IGNORECASE,
)
_SOUND = re.compile(r"\[sound:([^\]]+)\]")


def strip_html(text: str) -> str:
    """Text without tags, comments, styles and scripts; entities decoded."""
    import html

    return html.unescape(_HTML.sub("", text)).replace("\xa0", " ")


def _av_refs(text: str, side: str) -> str:
    """Sound tags become Anki's `[anki:play:q:N]` references (`[anki:tts]` is not supported)."""
    count = iter(range(1 << 30))
    return _SOUND.sub(lambda _: f"[anki:play:{side}:{next(count)}]", text)
