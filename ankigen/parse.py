"""Markdown note files -> cards: headings, sections, deck, tags and identities.

`parse_source` reads one note file with the parser of `markdown`, takes its settings from
`front_matter`, splits it into cards at its `##` headings, runs the checks of `rules` over each
card and reads its pictures with `card_pictures`. It returns the cards, their problems and the
files they refer to, as data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from markdown_it.token import Token
from slugify import slugify

from .attributes import Attributes, split_heading
from .card_pictures import IMAGE_SUFFIXES, card_pictures
from .config import Config
from .errors import NO_HEADINGS, Diagnostic, Diagnostics
from .front_matter import read_front_matter
from .highlight import lexer_for
from .markdown import drop_kramdown_markup, markdown_parser
from .model import Card, Formula, SourceFile
from .rules import CardDraft, FileContext, card_problems, names
from .rules.card import RawText, error, warning

__all__ = [
    "IMAGE_SUFFIXES",
    "VALID_ID",
    "ParsedFile",
    "lexer_for",
    "markdown_parser",
    "parse_file",
    "parse_source",
]

VALID_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:/-]*")  # `/` to keep a derived `section/card`


@dataclass(frozen=True)
class ParsedFile:
    """One note file's cards, with their problems and every other file they depend on."""

    cards: list[Card]
    problems: list[Diagnostic]
    consulted: frozenset[Path]  # the pictures the cards name, found or not, as written


def parse_source(source: SourceFile, config: Config, checks_only: bool = False) -> ParsedFile:
    """All cards of one note file, with the problems found at their positions.

    With `checks_only`, the cards are for their problems and rows only, never for rendering.
    """
    md = markdown_parser(config.allow_html, checks_only)
    env: dict[str, dict[str, object]] = {}
    tokens = md.parse(source.text, env)
    context = FileContext(
        source, source.text.split("\n"), config.allow_html, env.get("references", {})
    )
    problems = list(names.characters(context))
    has_front_matter = bool(tokens) and tokens[0].type == "front_matter"
    meta = read_front_matter(tokens[0].content if has_front_matter else None, context.at)
    problems += meta.problems
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
        problems.append(error(context.at(extra.line), "a file has one `# Title`; cards use `##`"))
    headings = [h for h in headings if h.level > 1]

    deck = meta.deck or config.deck or title or source.path.stem
    deck_line = meta.deck_line if meta.deck else title_line if title and not config.deck else 0
    problems += names.deck_name(deck, context.at(deck_line))
    deck = "::".join(part.strip() for part in deck.split("::"))
    file = _FileSettings(
        deck=deck,
        namespace=meta.namespace or config.namespace or slugify(deck.split("::")[0]),
        tags=meta.tags,
        code_language=meta.code_language or config.code_language,
        checks_only=checks_only,
    )

    first_card_token = headings[0].index if headings else len(tokens)
    preamble = drop_kramdown_markup(tokens[:first_card_token], skip_headings=True)
    if preamble and headings:  # with none, the warning below says it all
        line = next((t.map[0] for t in preamble if t.map), 0)
        problems.append(
            warning(context.at(line), "text before the first `##` heading is on no card")
        )

    cards: list[Card] = []
    consulted: set[Path] = set()
    ancestors: list[tuple[int, str]] = []  # (level, plain heading text) of enclosing headings
    for position, heading in enumerate(headings):
        following = headings[position + 1] if position + 1 < len(headings) else None
        end = following.index if following else len(tokens)
        body = drop_kramdown_markup(tokens[heading.index + 3 : end])
        while ancestors and ancestors[-1][0] >= heading.level:
            ancestors.pop()
        sections = [name for _, name in ancestors]
        card = _card(heading, following, body, sections, context, file, problems, consulted)
        if card is not None:
            cards.append(card)
        section = _plain_text(heading.inline)
        if following is not None and following.level > heading.level:
            where = context.at(heading.line, max(context.lines[heading.line].find("#"), 0))
            problems += names.section_name(section, heading.inline.content, where)
        ancestors.append((heading.level, section))
    if not headings:
        problems.append(warning(context.at(0), NO_HEADINGS))
    return ParsedFile(cards, problems, frozenset(consulted))


def parse_file(
    source: SourceFile, config: Config, diagnostics: Diagnostics, checks_only: bool = False
) -> list[Card]:
    """`parse_source` for callers that collect problems as they go, in `diagnostics`."""
    parsed = parse_source(source, config, checks_only)
    diagnostics.items.extend(parsed.problems)
    return parsed.cards


_NO_ATTRIBUTES = Attributes()


@dataclass(frozen=True)
class _Heading:
    index: int  # of its heading_open token
    level: int
    line: int  # 0-based
    inline: Token


@dataclass(frozen=True)
class _FileSettings:
    """What every card of a file shares."""

    deck: str
    namespace: str
    tags: tuple[str, ...]
    code_language: str | None
    checks_only: bool  # the cards will not be rendered


def _card(
    heading: _Heading,
    following: _Heading | None,
    body: list[Token],
    sections: list[str],
    context: FileContext,
    file: _FileSettings,
    problems: list[Diagnostic],
    consulted: set[Path],
) -> Card | None:
    """The card under `heading`, or None; its problems go to `problems`, the files its pictures
    name to `consulted`."""
    line_text = context.lines[heading.line]
    text, attributes, list_col = split_heading(heading.inline.content)
    explicit_id = attributes.id
    heading_col = max(line_text.find(heading.inline.content), 0)
    location = context.at(heading.line, heading_col)
    for problem in attributes.problems:
        problems.append(
            error(context.at(heading.line, heading_col + problem.column), problem.message)
        )
    if explicit_id is not None and not VALID_ID.fullmatch(explicit_id):
        problems.append(
            error(
                context.at(heading.line, heading_col + list_col),
                f"invalid card id {explicit_id!r}: use letters, digits, '-', '_', '.', ':' or '/'",
            )
        )
    if not text.strip():
        problems.append(error(location, "card has an empty heading"))
        return None
    if not body:
        if following is None or following.level <= heading.level:
            message = "heading has no body and no sub-headings, so it makes no card"
            problems.append(warning(location, message))
        return None

    body_start = heading.line + 1 if heading.inline.map is None else heading.inline.map[1]
    body_end = following.line if following else len(context.lines)
    body_text = "\n".join(context.lines[body_start:body_end])
    draft = CardDraft(
        heading=heading.inline,
        heading_line=heading.line,
        heading_col=heading_col,
        text=text,
        location=location,
        body=body,
        body_text=body_text,
        body_line=body_start,
        code_language=file.code_language,
        raw_heading=RawText(text, heading.line, heading_col, context),
        raw_body=RawText(body_text, body_start, 0, context),
    )
    problems += card_problems(draft, context)
    pictures = card_pictures(heading.inline, body, context)
    problems += pictures.problems
    consulted.update(pictures.consulted)
    identity = explicit_id or "/".join(_slug(part) for part in [*sections, _plain(text)])
    heading_inline = heading.inline
    if attributes != _NO_ATTRIBUTES and not file.checks_only:  # its tokens hold the `{…}`
        md = markdown_parser(context.allow_html)
        heading_inline = md.parseInline(text, {"references": context.references})[0]
    return Card(
        source=context.source,
        location=location,
        heading=text,
        heading_col=heading_col + 1,
        body=tuple(body),
        heading_inline=heading_inline,
        body_text=body_text,
        body_line=body_start + 1,
        deck="::".join([file.deck, *(s.replace("::", ":") for s in sections)]),
        tags=tuple(dict.fromkeys([*file.tags, *section_tags(sections), *attributes.tags])),
        namespace=file.namespace,
        identity=identity,
        code_language=file.code_language,
        cloze_highest=draft.cloze_highest,
        formulas=tuple(
            Formula(f.tex.strip(), f.display, raw.at(f.start))
            for raw in draft.raw
            for f in raw.formulas
        ),
        plots=pictures.plots,
        images=pictures.images,
        classes=attributes.classes,
        pinned_guid=attributes.guid,
    )


def _plain_text(inline: Token) -> str:
    return _plain(split_heading(inline.content)[0])


def _plain(markdown: str) -> str:
    """Heading markdown without emphasis and code marks, for deck names, tags and slugs."""
    return re.sub(r"[*_`]+", "", markdown).strip()


@lru_cache(maxsize=4096)  # every card's sections are slugged again
def _slug(text: str) -> str:
    return slugify(text) or text.strip().lower()


def section_tags(sections: list[str]) -> list[str]:
    """The tag of a card in the sections `sections` (none at the top): `Section::Sub`."""
    if not sections:
        return []
    return ["::".join(re.sub(r"[\s:]+", "_", s) for s in sections)]
