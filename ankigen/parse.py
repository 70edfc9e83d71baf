"""Markdown note files -> cards: headings, sections, identities, front matter, early checks."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.front_matter import front_matter_plugin
from slugify import slugify

from .anki_cloze import MAX_CLOZE
from .cloze import (
    attempts_once_rendered,
    number_problem,
    protected_spans,
    scan_clozes,
    span_at,
    unclosed_display_math,
)
from .cloze_answers import check_answers
from .cloze_shorthand import cloze_shorthand_plugin
from .config import Config
from .diagrams import PlotSpec
from .errors import NO_HEADINGS, Diagnostics, Location
from .model import Card, Formula, SourceFile
from .notetimes.cards import explicit_id as heading_id
from .storable import (
    SOUND_MESSAGE,
    own_media_images,
    sound_tags,
    unstorable,
    unstorable_lines,
    unstorable_references,
)
from .texcheck.fields import check_text_formulas

HEADER_ID = re.compile(r"\s*\{#([^}]*)\}\s*$")
VALID_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:/-]*")  # `/` to keep a derived `section/card`
KRAMDOWN_IAL = re.compile(r"^\{:[^}]*\}$")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif", ".bmp")
FRONT_MATTER_KEYS = {
    "deck": "a string",
    "tags": "a list of tags",
    "namespace": "a string",
    "code_language": "a string",
}


# The checks read inline tokens only for these (`_shows_dollars`, `_images`); everything else
# they read off the raw text. `check` tokenizes the inline content of the others not at all.
_READ_AS_INLINE_TOKENS = ("$$", "![")


@cache
def markdown_parser(allow_html: bool, checks_only: bool = False) -> MarkdownIt:
    """The one parser every stage shares: CommonMark, tables, strikethrough, links, math, cloze.

    `checks_only` is for `check`: inline content is tokenized only where a check reads its
    tokens, which saves a third of the parsing; such tokens must never be rendered.
    """
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
    if checks_only:
        md.core.ruler.at("inline", _inline_read_by_checks)
    return md


def _inline_read_by_checks(state: Any) -> None:
    for token in state.tokens:
        if token.type == "inline":
            token.children = []
            if any(needle in token.content for needle in _READ_AS_INLINE_TOKENS):
                state.md.inline.parse(token.content, state.md, state.env, token.children)


def _skip_linkify_without_links(md: MarkdownIt) -> None:
    """linkify tests every text token with a large pattern; most notes have no bare links."""
    from markdown_it.rules_core import linkify

    def maybe_linkify(state: Any) -> None:
        if "://" in state.src or "www." in state.src or "@" in state.src:
            linkify(state)

    md.core.ruler.at("linkify", maybe_linkify)


@dataclass
class _Heading:
    index: int  # of its heading_open token
    level: int
    line: int  # 0-based
    inline: Token


@dataclass
class _FileContext:
    source: SourceFile
    lines: list[str]
    diagnostics: Diagnostics
    consulted: set[Path] | None = None
    allow_html: bool = False
    env: dict[str, Any] = field(default_factory=dict)  # markdown-it's, with link references
    checks_only: bool = False  # the cards will not be rendered

    def at(self, line0: int, col0: int = 0) -> Location:
        return Location(self.source.display, line0 + 1, col0 + 1)


def parse_file(
    source: SourceFile,
    config: Config,
    diagnostics: Diagnostics,
    consulted: set[Path] | None = None,
    checks_only: bool = False,
) -> list[Card]:
    """All cards of one note file; problems go to `diagnostics` with their positions.

    Every other file the cards depend on (pictures, found or not) is added to `consulted`.
    With `checks_only`, the cards are for their problems and rows only, never for rendering.
    """
    md = markdown_parser(config.allow_html, checks_only)
    env: dict[str, Any] = {}
    tokens = md.parse(source.text, env)
    context = _FileContext(
        source, source.text.split("\n"), diagnostics, consulted, config.allow_html, env, checks_only
    )
    _check_characters(context)
    meta = _front_matter(tokens, context)
    headings = [
        _Heading(i, int(t.tag[1]), t.map[0] if t.map else 0, tokens[i + 1])
        for i, t in enumerate(tokens)
        if t.type == "heading_open" and t.level == 0
    ]
    title, title_line = None, 0
    if headings and headings[0].level == 1:
        title_line = headings[0].line
        title = _plain_text(headings.pop(0).inline)
    for extra in (h for h in headings if h.level == 1):
        diagnostics.error(context.at(extra.line), "a file has one `# Title`; cards use `##`")
    headings = [h for h in headings if h.level > 1]

    deck = meta.get("deck") or config.deck or title or source.path.stem
    if meta.get("deck"):
        deck_line = _front_matter_lines(tokens[0].content).get("deck", 1)
    else:
        deck_line = title_line if title and not config.deck else 0
    _check_deck_name(deck, context.at(deck_line), context)
    deck = "::".join(part.strip() for part in deck.split("::"))
    namespace = meta.get("namespace") or config.namespace or slugify(deck.split("::")[0])
    file_tags = tuple(meta.get("tags", ()))
    code_language = meta.get("code_language") or config.code_language

    first_card_token = headings[0].index if headings else len(tokens)
    preamble = _drop_kramdown_markup(tokens[:first_card_token], skip_headings=True)
    if preamble and headings:  # with none, the warning below says it all
        line = next((t.map[0] for t in preamble if t.map), 0)
        diagnostics.warning(context.at(line), "text before the first `##` heading is on no card")

    cards: list[Card] = []
    ancestors: list[tuple[int, str]] = []  # (level, plain heading text) of enclosing headings
    for position, heading in enumerate(headings):
        following = headings[position + 1] if position + 1 < len(headings) else None
        end = following.index if following else len(tokens)
        body = _drop_kramdown_markup(tokens[heading.index + 3 : end])
        while ancestors and ancestors[-1][0] >= heading.level:
            ancestors.pop()
        card = _card(
            heading,
            following,
            body,
            ancestors,
            context,
            deck=deck,
            namespace=namespace,
            tags=file_tags,
            code_language=code_language,
        )
        if card is not None:
            cards.append(card)
        section = _plain_text(heading.inline)
        if following is not None and following.level > heading.level:
            where = context.at(heading.line, max(context.lines[heading.line].find("#"), 0))
            if _blank(section):
                context.diagnostics.error(
                    where,
                    f"section {heading.inline.content.strip()!r} names a deck with nothing in "
                    "it (Anki would call it `blank`): give the section a name",
                )
            _check_shown_name(f"section {section!r}", section, where, context)
        ancestors.append((heading.level, section))
    if not headings:
        diagnostics.warning(context.at(0), NO_HEADINGS)
    return cards


def _card(
    heading: _Heading,
    following: _Heading | None,
    body: list[Token],
    ancestors: list[tuple[int, str]],
    context: _FileContext,
    *,
    deck: str,
    namespace: str,
    tags: tuple[str, ...],
    code_language: str | None,
) -> Card | None:
    line_text = context.lines[heading.line]
    text, explicit_id, id_col = _split_header_id(heading.inline.content)
    heading_col = max(line_text.find(heading.inline.content), 0)
    location = context.at(heading.line, heading_col)
    if explicit_id is not None and not VALID_ID.fullmatch(explicit_id):
        context.diagnostics.error(
            context.at(heading.line, heading_col + id_col),
            f"invalid card id {explicit_id!r}: use letters, digits, '-', '_', '.', ':' or '/'",
        )
    if not text.strip():
        context.diagnostics.error(location, "card has an empty heading")
        return None
    if not body:
        if following is None or following.level <= heading.level:
            message = "heading has no body and no sub-headings, so it makes no card"
            context.diagnostics.warning(location, message)
        return None

    sections = [name for _, name in ancestors]
    body_start = heading.line + 1 if heading.inline.map is None else heading.inline.map[1]
    body_end = following.line if following else len(context.lines)
    body_text = "\n".join(context.lines[body_start:body_end])
    heading_highest, heading_formulas = _check_raw(
        text, heading.line, heading_col, context, _shows_dollars([heading.inline])
    )
    body_highest, body_formulas = _check_raw(
        body_text, body_start, 0, context, _shows_dollars(body)
    )
    _check_shorthand_numbers(max(heading_highest, body_highest), [heading.inline, *body], context)
    problem = number_problem(attempts_once_rendered(text, body_text))
    if problem is not None:  # `\\{\\{c0::`: a cloze only once rendered
        context.diagnostics.error(location, problem)
    check_text_formulas(
        [heading.inline, *body], context.source, context.allow_html, location, context.diagnostics
    )
    plots = tuple(_plots(body, context))
    images = tuple(_images(heading.inline, body, context))
    _check_code_languages(body, code_language, context)
    check_answers(
        text, body_text, heading.line, heading_col, body_start, context.at, context.diagnostics
    )
    identity = explicit_id or "/".join(_slug(part) for part in [*sections, _plain(text)])
    heading_inline = heading.inline
    if explicit_id is not None and not context.checks_only:  # its tokens hold the `{#id}`
        md = markdown_parser(context.allow_html)
        heading_inline = md.parseInline(text, {"references": context.env.get("references", {})})[0]
    return Card(
        source=context.source,
        location=location,
        heading=text,
        heading_col=heading_col + 1,
        body=tuple(body),
        heading_inline=heading_inline,
        body_text=body_text,
        body_line=body_start + 1,
        deck="::".join([deck, *(s.replace("::", ":") for s in sections)]),
        tags=tuple(dict.fromkeys([*tags, *_section_tags(sections)])),
        namespace=namespace,
        identity=identity,
        code_language=code_language,
        cloze_highest=max(heading_highest, body_highest),
        formulas=(*heading_formulas, *body_formulas),
        plots=plots,
        images=images,
    )


def _blank(part: str) -> bool:
    """A deck name's part that Anki would store as `blank`: nothing but spaces and colons."""
    return not part.replace(":", "").strip()


def _check_deck_name(deck: str, where: Location, context: _FileContext) -> None:
    """A deck name with an empty part (`E:: ::F`) becomes `E::blank::F` in Anki; one that
    reads as markup would be markup on every card."""
    if any(_blank(part) for part in deck.split("::")):
        context.diagnostics.error(
            where, f"deck name {deck!r} has an empty part (Anki would call it `blank`)"
        )
    _check_shown_name(f"deck name {deck!r}", deck, where, context)


# Every card shows its deck name ({{Deck}} in the templates), and Anki puts it into the card as
# HTML, which MathJax then reads: only text that stays text may pass.
_MARKUP_IN_NAME = re.compile(r"[<>]|&[A-Za-z#]|\\[()\[\]]")


def _check_shown_name(what: str, name: str, where: Location, context: _FileContext) -> None:
    markup = _MARKUP_IN_NAME.search(name)
    if markup:
        context.diagnostics.error(
            where,
            f"{what} holds {markup[0]!r}: every card shows its deck's name, and Anki reads it "
            "as HTML and formulas there; leave out <, >, & before a name or #, and \\( \\) "
            "\\[ \\]",
        )


def _check_characters(context: _FileContext) -> None:
    """Characters that Anki cannot store in a field, anywhere in the file or its name."""
    for line, col, message in unstorable_lines(context.lines):
        context.diagnostics.error(context.at(line, col), message)
    if context.allow_html:
        for line, text in enumerate(context.lines):
            for col, message in unstorable_references(text):
                context.diagnostics.error(context.at(line, col), message)
    name = context.source.path.relative_to(context.source.root).as_posix()
    if (problem := unstorable(name)) is not None:
        context.diagnostics.error(context.at(0), f"the file's name: {problem[1]}")


def _check_shorthand_numbers(highest: int, tokens: list[Token], context: _FileContext) -> None:
    """`==x==` deletions are numbered after the highest `{{cN::`: none may pass MAX_CLOZE."""
    inlines = [token for token in tokens if token.type == "inline"]
    room = MAX_CLOZE - highest
    if sum(token.content.count("==") for token in inlines) // 2 <= room:
        return  # the usual case: too few `==` to matter, whatever they turn out to be
    md = markdown_parser(context.allow_html)  # `check` has not tokenized them
    env = {"references": context.env.get("references", {})}
    count = 0
    for inline in inlines:
        children = md.parseInline(inline.content, env)[0].children or []
        count += sum(1 for child in children if child.type == "cloze_open")
        if count > room:
            context.diagnostics.error(
                _locate(inline, "==", context),
                f"this card's `==…==` deletions are numbered after {{{{c{highest}::…}}}}, "
                f"beyond {MAX_CLOZE}, the largest cloze number Anki stores",
            )
            return


def _shows_dollars(tokens: list[Token]) -> set[int]:
    """The lines where markdown left a `$$` as text (an unclosed formula), not in code.

    Reads inline tokens: see `_READ_AS_INLINE_TOKENS`."""
    return {
        line
        for token in tokens
        if token.type == "inline"
        and token.map
        and any(c.type == "text" and "$$" in c.content for c in token.children or ())
        for line in range(token.map[0], token.map[1])
    }


def _check_raw(
    text: str, line0: int, col0: int, context: _FileContext, dollar_lines: set[int]
) -> tuple[int, list[Formula]]:
    """Checks that need the raw text's columns: clozes, `$$` and formulas.

    Returns the highest explicit cloze number and the formulas found.
    """

    starts = [0, *(m.end() for m in re.finditer("\n", text))]  # once: many formulas ask

    def at(offset: int) -> Location:
        line = bisect_right(starts, offset) - 1
        col = offset - starts[line]
        return context.at(line0 + line, (col0 if line == 0 else 0) + col)

    spans = protected_spans(text) if any(c in text for c in ("$", "{{", "<", "](")) else []
    _check_markup(text, spans, at, context)
    for offset in sound_tags(text):  # Anki reads them in code and formulas too
        context.diagnostics.error(at(offset), SOUND_MESSAGE)
    scan = scan_clozes(text, spans)
    for problem in scan.problems:
        context.diagnostics.error(at(problem.offset), problem.message)
    for offset in unclosed_display_math(text, spans):
        if line0 + bisect_right(starts, offset) - 1 in dollar_lines:
            context.diagnostics.error(at(offset), "formula opened with `$$` is never closed")
            break
    formulas = []
    for start, end, kind in spans:
        if kind == "math":
            delimiter = 2 if text.startswith("$$", start) else 1
            tex = text[start + delimiter : end - delimiter]
            _check_formula(tex, start + delimiter, delimiter == 2, at, context.diagnostics)
            formulas.append(Formula(tex.strip(), delimiter == 2, at(start)))
    return scan.highest, formulas


_HTML_TAGS = (
    "a abbr address article aside audio b big blockquote body br button canvas center code del "
    "details div dl em embed font footer form h1 h2 h3 h4 h5 h6 head header hr html i iframe img "
    "input ins kbd li link mark meta object ol p picture pre s script section select small source "
    "span strike strong style sub summary sup svg table tbody td template th thead tr u ul video"
)
_RAW_HTML = re.compile(rf"<!--|</?({'|'.join(_HTML_TAGS.split())})(?=[\s/>])", re.IGNORECASE)
# possessive: on `](` and many spaces, backtracking would make this quadratic
_BAD_LINK = re.compile(r"\]\(\s*+<?\s*+(javascript|vbscript|file)\s*+:", re.IGNORECASE)


def _check_markup(
    text: str, spans: list[tuple[int, int, str]], at: Any, context: _FileContext
) -> None:
    """Links that could run a script are errors; raw HTML, shown as text, is worth a word."""
    outside = [m for m in _BAD_LINK.finditer(text) if span_at(spans, m.start()) is None]
    for match in outside:
        scheme = match.group(1).lower()
        context.diagnostics.error(
            at(match.start() + 1), f"link to a `{scheme}:` address: links go to web pages"
        )
    if context.allow_html:
        for offset, name in own_media_images(text):
            if span_at(spans, offset) is None:
                context.diagnostics.error(
                    at(offset),
                    f"`<img>` names the media file {name!r} itself, which the package may not "
                    "hold: show a picture with ![alt](file)",
                )
        return
    for match in _RAW_HTML.finditer(text):
        if span_at(spans, match.start()) is None:
            context.diagnostics.warning(
                at(match.start()),
                f"raw HTML `{match.group()}…` is shown as text (allow_html = true keeps it, "
                "cleaned of scripts)",
            )
            break  # once per card is enough to explain it


def _plots(body: list[Token], context: _FileContext) -> Iterator[tuple[int, PlotSpec]]:
    """The checked spec of every ```plot KIND``` block, by its index in the body."""
    from .diagrams import KINDS, parse_plot

    for index, token in enumerate(body):
        words = token.info.split()
        if token.type != "fence" or not words or words[0] != "plot":
            continue
        fence_line = token.map[0] if token.map else 0
        indent = len(context.lines[fence_line]) - len(context.lines[fence_line].lstrip())
        kind = words[1] if len(words) > 1 else ""
        if kind not in KINDS:
            col = context.lines[fence_line].find(kind, indent + 3) if kind else indent
            known = ", ".join(sorted(KINDS))
            message = (
                f"unknown plot kind {kind!r} (known: {known})"
                if kind
                else (f"a plot block names its kind: ```plot KIND``` with KIND one of {known}")
            )
            context.diagnostics.error(context.at(fence_line, col), message)
            continue
        spec, problems = parse_plot(kind, token.content)
        for problem in problems:
            where = context.at(fence_line + 1 + problem.line, indent + problem.col)
            prefix = "" if problem.message.startswith("plot ") else f"plot {kind}: "
            context.diagnostics.error(where, prefix + problem.message)
        if spec is not None:
            yield index, spec


def _images(heading: Token, body: list[Token], context: _FileContext) -> Iterator[tuple[str, Path]]:
    """Every picture the card shows, checked: a file inside the notes folder.

    Reads inline tokens: see `_READ_AS_INLINE_TOKENS`."""
    for inline in [heading, *body]:
        for child in inline.children or ():
            if child.type == "image":
                src = str(child.attrs.get("src", ""))
                path = _image_file(src, _locate(inline, src, context), context)
                if path is not None:
                    yield src, path


def _image_file(src: str, where: Location, context: _FileContext) -> Path | None:
    """The file behind an image reference, or None once the problem is reported."""
    if not src or "://" in src or src.startswith(("data:", "//")):
        context.diagnostics.error(where, f"image {src!r} must be a file in the notes folder")
        return None
    written = context.source.path.parent / unquote(src)
    if context.consulted is not None:
        context.consulted.add(written)  # as written: the cache re-resolves it
    try:
        path = written.resolve()
        inside, exists = path.is_relative_to(context.source.root), path.is_file()
    except (OSError, RuntimeError, ValueError) as exc:
        context.diagnostics.error(where, f"image {src!r} cannot be read: {exc}")
        return None
    if not inside:
        context.diagnostics.error(where, f"image {src!r} lies outside the notes folder")
    elif not exists:
        context.diagnostics.error(where, f"image {src!r} does not exist")
    elif path.suffix.lower() not in IMAGE_SUFFIXES:
        allowed = ", ".join(IMAGE_SUFFIXES)
        context.diagnostics.error(where, f"{src!r} is not an image ({allowed})")
    else:
        return path
    return None


def _locate(inline: Token, needle: str, context: _FileContext) -> Location:
    """The place of `needle` within the lines of the block that `inline` came from."""
    first, last = inline.map or (0, len(context.lines))
    for line in range(first, min(last + 1, len(context.lines))):
        col = context.lines[line].find(needle)
        if col >= 0:
            return context.at(line, col)
    return context.at(first)


def _check_code_languages(body: list[Token], default: str | None, context: _FileContext) -> None:
    for token in body:
        language = (token.info.split() or [default])[0] if token.type == "fence" else None
        if not language or language == "plot":
            continue
        if lexer_for(language) is None:
            line = token.map[0] if token.map else 0
            message = f"unknown code language {language!r}: shown without highlighting"
            context.diagnostics.warning(context.at(line), message)


@cache
def lexer_for(name: str) -> Any:
    """pygments' lexer for a language name, or None; looked up once per name (the lookup is
    slow). Parse warns about the names it does not know; render highlights with it."""
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(name)
    except ClassNotFound:
        return None


def _check_formula(tex: str, offset: int, display: bool, at: Any, diagnostics: Diagnostics) -> None:
    for problem in _tex_problems(tex):
        report = diagnostics.error if problem.severity == "error" else diagnostics.warning
        report(at(offset + problem.offset), f"formula: {problem.message}")


@lru_cache(maxsize=4096)  # decks repeat their formulas
def _tex_problems(tex: str) -> tuple[Any, ...]:
    from .texcheck import check_tex

    return tuple(check_tex(tex))


def _split_header_id(content: str) -> tuple[str, str | None, int]:
    """`Sum Rule {#sum-rule}` -> ("Sum Rule", "sum-rule", column of `{#`)."""
    found = heading_id(content)  # HEADER_ID's search is quadratic on `{#{#{#...`
    if found is None:
        return content, None, 0
    brace = len(content.rstrip()) - len(found) - 3
    return content[:brace].rstrip(), found.strip(), brace


def _front_matter(tokens: list[Token], context: _FileContext) -> dict[str, Any]:
    if not tokens or tokens[0].type != "front_matter":
        return {}
    token = tokens[0]
    try:
        data = yaml.safe_load(token.content) if token.content.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, col = (mark.line + 1, mark.column) if mark else (1, 0)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        context.diagnostics.error(context.at(line, col), f"front matter: {problem}")
        return {}
    except RecursionError:
        context.diagnostics.error(context.at(1), "front matter: nested too deeply")
        return {}
    except ValueError:  # a number of more digits than Python converts
        digits = re.search(r"\d{4300,}", token.content)
        offset = digits.start() if digits else 0
        line = token.content.count("\n", 0, offset) + 1
        col = offset - (token.content.rfind("\n", 0, offset) + 1)
        context.diagnostics.error(context.at(line, col), "front matter: a number far too long")
        return {}
    if not isinstance(data, dict):
        context.diagnostics.error(context.at(1), "front matter must be a mapping of keys to values")
        return {}
    meta: dict[str, Any] = {}
    key_lines = _front_matter_lines(token.content)
    for key, value in data.items():
        where = context.at(key_lines.get(str(key), 1))
        if key not in FRONT_MATTER_KEYS:
            known = ", ".join(sorted(FRONT_MATTER_KEYS))
            context.diagnostics.error(where, f"front matter: unknown key {key!r}; known: {known}")
        elif key == "tags":
            tags = [value] if isinstance(value, str) else value
            if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
                context.diagnostics.error(where, "front matter: `tags` must be a list of tags")
            elif (problem := unstorable("".join(tags))) is not None:
                context.diagnostics.error(where, f"front matter: `tags`: {problem[1]}")
            else:
                meta["tags"] = [re.sub(r"\s+", "_", t.strip()) for t in tags]
        elif not isinstance(value, str) or not value.strip():
            expected = FRONT_MATTER_KEYS[key]
            context.diagnostics.error(where, f"front matter: {key!r} must be {expected}")
        elif (problem := unstorable(value)) is not None:
            context.diagnostics.error(where, f"front matter: {key!r}: {problem[1]}")
        else:
            meta[key] = value.strip()
    return meta


def _front_matter_lines(content: str) -> dict[str, int]:
    """The line of each top-level `key:` in the front matter, read in one pass."""
    lines: dict[str, int] = {}
    for number, line in enumerate(content.split("\n"), start=1):
        key, colon, _ = line.partition(":")
        if colon and key.rstrip() and not line[:1].isspace():
            lines.setdefault(key.rstrip(), number)
    return lines


def _drop_kramdown_markup(tokens: list[Token], skip_headings: bool = False) -> list[Token]:
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


def _plain_text(inline: Token) -> str:
    return _plain(_split_header_id(inline.content)[0])


def _plain(markdown: str) -> str:
    """Heading markdown without emphasis and code marks, for deck names, tags and slugs."""
    return re.sub(r"[*_`]+", "", markdown).strip()


@lru_cache(maxsize=4096)  # every card's sections are slugged again
def _slug(text: str) -> str:
    return slugify(text) or text.strip().lower()


def _section_tags(sections: list[str]) -> list[str]:
    if not sections:
        return []
    return ["::".join(re.sub(r"[\s:]+", "_", s) for s in sections)]
