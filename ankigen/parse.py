"""Markdown note files -> cards: headings, sections, deck, tags and identities.

`parse_source` reads one note file with the parser of `markdown`, takes its settings from
`front_matter` and cuts it at its `##` headings into an outline (`rules.FileDraft`). It runs the
file rules of `rules` over the outline, makes a card of each heading that has a body, runs the
card rules over each card and reads its pictures with `card_pictures`. It returns the cards,
their problems and the files they refer to, as data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from markdown_it.token import Token
from slugify import slugify

from .attributes import split_heading
from .card_pictures import IMAGE_SUFFIXES, card_pictures
from .config import Config
from .errors import Diagnostic, Diagnostics
from .front_matter import read_front_matter
from .highlight import lexer_for
from .markdown import drop_kramdown_markup, markdown_parser
from .model import Card, Formula, Outline, SourceFile
from .rules import CardDraft, FileContext, FileDraft, Heading, card_problems, file_problems
from .rules.card import RawText
from .rules.headings import VALID_ID

__all__ = [
    "IMAGE_SUFFIXES",
    "VALID_ID",
    "ParsedFile",
    "lexer_for",
    "markdown_parser",
    "parse_file",
    "parse_source",
]


@dataclass(frozen=True)
class ParsedFile:
    """One note file's cards, with their problems and every other file they depend on."""

    cards: list[Card]
    problems: list[Diagnostic]
    consulted: frozenset[Path]  # the pictures the cards name, found or not, as written
    outline: Outline


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
    file = _outline(tokens, context, config)
    outline = Outline(
        tokens[0].map[1] if tokens and tokens[0].type == "front_matter" and tokens[0].map else 0,
        tuple(
            (t.map[0], int(t.tag[1]))
            for t in tokens
            if t.type == "heading_open" and t.level == 0 and t.map
        ),
    )
    problems = file_problems(file, context)
    deck = "::".join(part.strip() for part in file.deck.split("::"))
    meta = file.front_matter
    settings = _FileSettings(
        deck=deck,
        namespace=meta.namespace or config.namespace or slugify(deck.split("::")[0]),
        tags=meta.tags,
        code_language=meta.code_language or config.code_language,
        checks_only=checks_only,
    )
    cards: list[Card] = []
    consulted: set[Path] = set()
    ancestors: list[Heading] = []  # the sections that enclose the heading
    for heading in file.headings:
        while ancestors and ancestors[-1].level >= heading.level:
            ancestors.pop()
        if heading.makes_card:
            card = _card(heading, [a.name for a in ancestors], context, settings)
            cards.append(card.card)
            problems += card.problems
            consulted.update(card.consulted)
        ancestors.append(heading)
    return ParsedFile(cards, problems, frozenset(consulted), outline)


def parse_file(
    source: SourceFile, config: Config, diagnostics: Diagnostics, checks_only: bool = False
) -> list[Card]:
    """`parse_source` for callers that collect problems as they go, in `diagnostics`."""
    parsed = parse_source(source, config, checks_only)
    diagnostics.items.extend(parsed.problems)
    return parsed.cards


def _outline(tokens: list[Token], context: FileContext, config: Config) -> FileDraft:
    """The file cut at its headings, with its settings as written, for the file rules."""
    has_front_matter = bool(tokens) and tokens[0].type == "front_matter"
    meta = read_front_matter(tokens[0].content if has_front_matter else None, context.at)
    found = [
        (i, int(t.tag[1]), t.map[0] if t.map else 0)
        for i, t in enumerate(tokens)
        if t.type == "heading_open" and t.level == 0
    ]
    title, title_line = None, 0
    if found and found[0][1] == 1:
        index, _, title_line = found.pop(0)
        title = _plain_text(tokens[index + 1])
    cut = [(index, level, line) for index, level, line in found if level > 1]
    headings = tuple(
        _heading(tokens, context, *heading, cut[n + 1] if n + 1 < len(cut) else None)
        for n, heading in enumerate(cut)
    )
    deck = meta.deck or config.deck or title or context.source.path.stem
    return FileDraft(
        front_matter=meta,
        extra_titles=tuple(line for _, level, line in found if level == 1),
        deck=deck,
        deck_line=meta.deck_line if meta.deck else title_line if title and not config.deck else 0,
        preamble=drop_kramdown_markup(
            tokens[: headings[0].index if headings else len(tokens)], skip_headings=True
        ),
        headings=headings,
    )


def _heading(
    tokens: list[Token],
    context: FileContext,
    index: int,
    level: int,
    line: int,
    following: tuple[int, int, int] | None,  # the next heading's index, level and line
) -> Heading:
    inline = tokens[index + 1]
    text, attributes, list_col = split_heading(inline.content)
    end = following[0] if following else len(tokens)
    return Heading(
        index=index,
        level=level,
        line=line,
        inline=inline,
        text=text,
        attributes=attributes,
        list_col=list_col,
        col=max(context.lines[line].find(inline.content), 0),
        name=_plain(text),
        body=drop_kramdown_markup(tokens[index + 3 : end]),
        end_line=following[2] if following else len(context.lines),
        has_subheadings=following is not None and following[1] > level,
    )


@dataclass(frozen=True)
class _FileSettings:
    """What every card of a file shares."""

    deck: str
    namespace: str
    tags: tuple[str, ...]
    code_language: str | None
    checks_only: bool  # the cards will not be rendered


class _CardRead(NamedTuple):
    """A card, with the problems of its rules and pictures and the files its pictures name."""

    card: Card
    problems: list[Diagnostic]
    consulted: tuple[Path, ...]


def _card(
    heading: Heading, sections: list[str], context: FileContext, file: _FileSettings
) -> _CardRead:
    """The card under `heading`, which makes one, inside `sections`."""
    text, heading_col, location = heading.text, heading.col, context.at(heading.line, heading.col)
    body, attributes = heading.body, heading.attributes
    explicit_id = attributes.id
    body_start = heading.line + 1 if heading.inline.map is None else heading.inline.map[1]
    body_text = "\n".join(context.lines[body_start : heading.end_line])
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
        classes=attributes.classes,
        attributes_col=heading_col + heading.list_col,
    )
    problems = card_problems(draft, context)
    pictures = card_pictures(heading.inline, body, context)
    problems += pictures.problems
    identity = explicit_id or "/".join(_slug(part) for part in [*sections, heading.name])
    heading_inline = heading.inline
    if heading.list_col and not file.checks_only:  # its tokens hold the attribute list
        md = markdown_parser(context.allow_html)
        heading_inline = md.parseInline(text, {"references": context.references})[0]
    card = Card(
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
    return _CardRead(card, problems, pictures.consulted)


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
