"""Cards -> Anki fields: markdown to HTML with math for MathJax, highlighted code, media, clozes.

`render_cards` draws the cards' pictures, renders each card with `render_rules`' parser into a
Basic or a Cloze note, and checks the finished fields for what Anki would show wrongly.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from markdown_it import MarkdownIt

from .anki_cloze import cloze_numbers
from .cloze import (
    CLOZE_ATTEMPT,
    attempts_once_rendered,
    cloze_number,
    number_problem,
    scan_clozes,
)
from .config import Config
from .diagrams import PlotSpec
from .drawing import Job, Result, draw_all, plot_job
from .errors import Diagnostics, Location
from .mathsvg import formula_job
from .model import Card, MediaFile, RenderedNote, card_ordinals
from .render_rules import card_parser, media_file, render_env
from .storable import (
    OWN_MEDIA,
    media_references,
    own_media_images,
    sound_tags,
    unstorable,
    unstorable_references,
)
from .texcheck import unsafe_tex
from .texcheck.fields import field_strings, spans, text_formulas

__all__ = [
    "Pictures",
    "media_file",
    "picture_jobs",
    "render_cards",
    "render_note",
]


@dataclass(frozen=True)
class Pictures:
    """Everything drawn for a build: plots and formulas, by their job keys."""

    plot_format: str
    math_as_svg: bool
    drawn: dict[str, Result]

    def plot(self, spec: PlotSpec) -> Result:
        return self.drawn[plot_job(spec, self.plot_format).key]

    def formula(self, tex: str, display: bool) -> Result | None:
        if not self.math_as_svg or CLOZE_ATTEMPT.search(tex):
            return None  # MathJax, which also lets Anki's clozes work inside formulas
        return self.drawn[formula_job(tex.strip(), display).key]


def render_cards(
    cards: Sequence[Card],
    config: Config,
    cache_dir: Path,
    diagnostics: Diagnostics,
    drawn: dict[str, Result] | None = None,
) -> list[RenderedNote]:
    """Every card as a note. Its pictures are `drawn` (by job key) when given, else drawn (or
    taken from the cache) first, all at once."""
    md = card_parser(config.allow_html)
    if drawn is None:
        drawn = draw_all(picture_jobs(cards, config), cache_dir)
    pictures = Pictures(config.plot_format, config.math == "svg", drawn)
    return [render_note(card, md, pictures, diagnostics) for card in cards]


def picture_jobs(cards: Sequence[Card], config: Config) -> list[Job]:
    """The pictures the cards need drawn: their plots, and their formulas with `math = "svg"`."""
    jobs = [plot_job(spec, config.plot_format) for card in cards for _, spec in card.plots]
    if config.math == "svg":
        jobs += [
            formula_job(f.tex, f.display)
            for card in cards
            for f in card.formulas
            if not CLOZE_ATTEMPT.search(f.tex)
        ]
    return jobs


def render_note(
    card: Card, md: MarkdownIt, pictures: Pictures, diagnostics: Diagnostics
) -> RenderedNote:
    """One card's fields: front (heading) and back (body), as a Basic or a Cloze note.

    `md` is `render_rules.card_parser`'s parser for the build's `allow_html`.
    """
    env = render_env(card)
    for index, spec in card.plots:
        drawn = pictures.plot(spec)
        if isinstance(drawn, str):
            line = (card.body[index].map or [card.body_line - 1])[0] + 1
            where = Location(card.source.display, line, 1)
            diagnostics.error(where, f"plot {spec.kind} cannot be drawn: {drawn}")
        else:
            env["plots"][index] = drawn
    for formula in card.formulas:
        picture = pictures.formula(formula.tex, formula.display)
        if isinstance(picture, str):
            diagnostics.warning(
                formula.location,
                f"formula cannot be drawn as SVG ({picture}); it is left to MathJax",
            )
        elif picture is not None:
            env["formulas"][formula.tex, formula.display] = picture
    # Tokens are shared with the card: the render rules never change them.
    heading = card.heading_inline
    markdown_env = cast("dict[str, Any]", env)  # markdown-it's type for it
    heading_tokens = [heading] if heading else md.parseInline(card.heading, markdown_env)
    body_tokens = list(card.body)
    front = md.renderer.render(heading_tokens, md.options, markdown_env).strip()
    back = md.renderer.render(body_tokens, md.options, markdown_env).strip()
    if md.options["html"]:
        front, back = _sanitize(front), _sanitize(back)
    is_cloze = any(CLOZE_ATTEMPT.search(text) for text in (front, back))
    source = _source_field(card.source.path, card.source.root)
    if is_cloze:
        text = f'<div class="ankigen-heading">{front}</div>\n<div class="ankigen-body">{back}</div>'
        fields = (text, front, source)
    else:
        fields = (front, back, source)
    numbered = frozenset(map(str, range(card.cloze_highest + 1, env["next_cloze"])))  # `==x==`
    made = text_formulas([*heading_tokens, *body_tokens], md.options["html"], card.source)
    for problem in _field_problems(fields, is_cloze, card, made, numbered):
        diagnostics.error(card.location, problem)
    if not _reported_in_parse(card, md.options["html"]):
        for problem in _storable_problems(fields, env["media"]):
            diagnostics.error(card.location, problem)
    kind = "cloze" if is_cloze else "basic"
    return RenderedNote(
        guid=card.guid,
        kind=kind,
        fields=fields,
        deck=card.deck,
        tags=card.tags,
        namespace=card.namespace,
        identity=card.identity,
        location=card.location,
        source=card.source,
        ordinals=card_ordinals(kind, fields),
        media=tuple(sorted(env["media"].values(), key=lambda m: m.name)),
    )


@lru_cache(maxsize=256)  # a file's cards share it
def _source_field(path: Path, root: Path) -> str:
    """The Source field: the note file's path inside its notes folder."""
    return html.escape(path.relative_to(root).as_posix())


def _reported_in_parse(card: Card, allow_html: bool) -> bool:
    """Whether parse found, at its place, what `_storable_problems` would find again."""
    raw = f"{card.heading}\n{card.body_text}\n{card.source.path.relative_to(card.source.root)}"
    if unstorable(raw) or sound_tags(raw):
        return True
    return allow_html and bool(own_media_images(raw) or unstorable_references(raw))


def _storable_problems(fields: Sequence[str], media: dict[str, MediaFile]) -> list[str]:
    """What would break the package in Anki: a character it cannot store, or a reference to a
    media file the package lacks. Parse reports these at their place; this is the last word."""
    problems = []
    for field in fields:
        if (problem := unstorable(field)) is not None:
            problems.append(problem[1])
        for name in media_references(field):
            if name not in media:
                problems.append(f"the card refers to the media file {name!r}, not in the package")
    return list(dict.fromkeys(problems))


def _field_problems(
    fields: Sequence[str],
    is_cloze: bool,
    card: Card,
    made: Sequence[str],
    numbered: frozenset[str] = frozenset(),
) -> list[str]:
    """What Anki would accept silently but show wrongly, read off the finished fields.

    The checks in parse read the markdown; these read what Anki will read, so markup that
    only becomes a deletion or a formula after rendering (`\\{\\{c1::`, `\\\\(`) is caught too.
    """
    problems = []
    fields, source = fields[:2], fields[2]
    if is_cloze:
        raw = [
            m.group(1) for t in (card.heading, card.body_text) for m in CLOZE_ATTEMPT.finditer(t)
        ]
        raw += attempts_once_rendered(card.heading, card.body_text)  # parse checked these
        attempts = [m.group(1) for f in fields for m in CLOZE_ATTEMPT.finditer(f)]
        problem = number_problem([n for n in attempts if n not in raw and n not in numbered])
        if problem is not None:
            problems.append(problem)
        elif (
            not cloze_numbers(*fields)
            and all(cloze_number(n) for n in raw)
            and not any(scan_clozes(t).problems for t in (card.heading, card.body_text))
        ):  # Anki reads no deletion, and parse has not already said why (`{{c1::` never closed)
            problems.append("the cloze note has no deletion, so Anki would make no card")
    elif not re.sub(r"<(?!img)[^>]*>|&nbsp;|\s", "", fields[0]):
        problems.append("the card's front is empty once rendered, so Anki would make no card")
    checked = {formula.tex for formula in card.formulas} | set(made)  # parse checked these
    runs = [run for field in (*fields, source) for run in field_strings(field)]
    for tex in dict.fromkeys(tex for run in runs for tex in spans(run)):
        if tex not in checked:
            problems += [f"formula: {problem.message}" for problem in unsafe_tex(tex)]
    return problems


def _sanitize(fragment: str) -> str:
    """Raw HTML, when allowed, still may not carry scripts, handlers or frames."""
    import nh3

    attributes = {"*": {"class", "title", "lang", "dir"}, "a": {"href"}, "img": {"src", "alt"}}
    return str(
        nh3.clean(fragment, attributes=attributes, link_rel=None, attribute_filter=_only_own_media)
    )


def _only_own_media(tag: str, attribute: str, value: str) -> str | None:
    """A picture shows a file of the package, never one fetched from elsewhere."""
    if tag == "img" and attribute == "src" and not OWN_MEDIA.fullmatch(value):
        return None
    return value
