"""Cards -> Anki fields: markdown to HTML with math for MathJax, highlighted code, media, clozes.

A file's cards are rendered once, with `render_rules`' parser, into `DraftNote`s whose pictures
(plots, formulas with `math = "svg"`) are markers; `finish_notes` writes the drawn pictures in
their place and makes each draft a note of its kind (basic, reversed, type-in or cloze), checking
the finished fields for what Anki would show wrongly. The pictures are drawn in between, all at
once. A type-in card's answer is its body's first paragraph, as plain text; the rest of the body
is its Back.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple, cast

from markdown_it import MarkdownIt

from .anki_cloze import cloze_numbers
from .card_kinds import card_kind, type_in_answer
from .cloze import (
    CLOZE_ATTEMPT,
    attempts_once_rendered,
    cloze_number,
    number_problem,
    scan_clozes,
)
from .config import Config
from .drawing import Job, Result, draw_all, plot_job
from .errors import Diagnostics, Location
from .mathsvg import formula_job
from .model import Card, MediaFile, RenderedNote, card_ordinals
from .picture_marks import Marked, fill
from .render_rules import card_parser, render_env
from .storable import (
    media_references,
    own_media_images,
    sanitize,
    sound_tags,
    unstorable,
    unstorable_references,
)
from .storage import Storage
from .texcheck import unsafe_tex
from .texcheck.fields import field_strings, spans, text_formulas

__all__ = [
    "DraftNote",
    "draft_notes",
    "finish_notes",
    "picture_jobs",
    "render_cards",
]


class PictureUse(NamedTuple):
    """A picture a card needs drawn: its job's key, where the card asks for it, and for a plot
    its kind (None for a formula); reported where it cannot be drawn."""

    key: str
    where: Location
    plot: str | None


@dataclass(frozen=True)
class DraftNote:
    """A card rendered but for its pictures, which are markers (`picture_marks`) until drawn.

    It holds what finishing its fields needs of the card and no markdown tokens, so a worker
    process can send it to the process that draws the pictures."""

    front: str  # the heading's HTML as the renderer wrote it
    back: str  # the body's
    marked: tuple[Marked, ...]  # the pictures marked in front and back
    uses: tuple[PictureUse, ...]  # the card's plots, then its formulas drawn as pictures
    images: tuple[MediaFile, ...]  # the media files of its images
    heading: str  # the card's markdown, for the checks of the finished fields
    body_text: str
    checked: frozenset[str]  # the formulas parse checked, and those the text makes (`\(`)
    numbered: frozenset[str]  # the cloze numbers `==x==` deletions got
    reported_in_parse: bool  # whether parse reported what `_storable_problems` finds
    kind: str  # what its heading asks for: "basic", "reversed" or "type"; a cloze wins
    answer: str  # a type-in card's answer, HTML-escaped plain text; "" for other kinds
    note: RenderedNote  # the card's GUID, deck, tags, identity and place; no fields yet


def render_cards(
    cards: Sequence[Card],
    config: Config,
    cache_dir: Path,
    diagnostics: Diagnostics,
    storage: Storage,
    workers: int,
) -> list[RenderedNote]:
    """Every card as a note, in one go: its pictures drawn (in up to `workers` processes) or
    taken from the cache in `cache_dir`, kept as `storage` says, first."""
    drafts = draft_notes(cards, config)
    drawn = draw_all(picture_jobs(cards, config), cache_dir, storage, workers)
    return finish_notes(drafts, drawn, config.allow_html, diagnostics)


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


def draft_notes(cards: Sequence[Card], config: Config) -> list[DraftNote]:
    """Every card rendered, its pictures marked: the only pass over its tokens."""
    md = card_parser(config.allow_html)
    return [_draft(card, md, config.plot_format, config.math == "svg") for card in cards]


def _draft(card: Card, md: MarkdownIt, plot_format: str, math_as_svg: bool) -> DraftNote:
    """One card's front (heading) and back (body), as the renderer writes them.

    `md` is `render_rules.card_parser`'s parser for the build's `allow_html`.
    """
    env = render_env(card)
    kind = card_kind(card.classes)
    answer, body_tokens = "", list(card.body)
    if kind == "type" and body_tokens[:1] and body_tokens[0].type == "paragraph_open":
        answer, body_tokens = type_in_answer(body_tokens[1]), body_tokens[3:]
    skipped = len(card.body) - len(body_tokens)  # the plots' places in what is rendered
    uses = []
    for index, spec in card.plots:
        key = env["plots"][index - skipped] = plot_job(spec, plot_format).key
        line = (card.body[index].map or [card.body_line - 1])[0] + 1
        uses.append(PictureUse(key, Location(card.source.display, line, 1), spec.kind))
    for formula in card.formulas if math_as_svg else ():
        if not CLOZE_ATTEMPT.search(formula.tex):  # else MathJax's, where Anki's clozes work
            job = formula_job(formula.tex, formula.display)
            env["formulas"][formula.tex, formula.display] = job.key
            uses.append(PictureUse(job.key, formula.location, None))
    # Tokens are shared with the card: the render rules never change them.
    heading = card.heading_inline
    markdown_env = cast("dict[str, Any]", env)  # markdown-it's type for it
    heading_tokens = [heading] if heading else md.parseInline(card.heading, markdown_env)
    front = md.renderer.render(heading_tokens, md.options, markdown_env)
    back = md.renderer.render(body_tokens, md.options, markdown_env)
    made = text_formulas([*heading_tokens, *body_tokens], md.options["html"], card.source)
    return DraftNote(
        front=front,
        back=back,
        marked=tuple(env["marked"]),
        uses=tuple(uses),
        images=tuple(env["media"].values()),
        heading=card.heading,
        body_text=card.body_text,
        checked=frozenset({formula.tex for formula in card.formulas} | set(made)),
        numbered=frozenset(map(str, range(card.cloze_highest + 1, env["next_cloze"]))),
        reported_in_parse=_reported_in_parse(card, md.options["html"]),
        kind=kind,
        answer=answer,
        note=RenderedNote(
            guid=card.guid,
            kind="",
            fields=(),
            deck=card.deck,
            tags=card.tags,
            namespace=card.namespace,
            identity=card.identity,
            location=card.location,
            source=card.source,
            ordinals=(),
        ),
    )


def finish_notes(
    drafts: Sequence[DraftNote],
    drawn: Mapping[str, Result],
    allow_html: bool,
    diagnostics: Diagnostics,
) -> list[RenderedNote]:
    """The drafts as notes, their pictures `drawn` (every one, by job key) written in."""
    return [_finish(draft, drawn, allow_html, diagnostics) for draft in drafts]


def _finish(
    draft: DraftNote, drawn: Mapping[str, Result], allow_html: bool, diagnostics: Diagnostics
) -> RenderedNote:
    """One draft's fields, as a note of its kind, checked."""
    for use in draft.uses:
        result = drawn[use.key]
        if not isinstance(result, str):
            continue
        if use.plot is not None:
            diagnostics.error(use.where, f"plot {use.plot} cannot be drawn: {result}")
        else:
            message = f"formula cannot be drawn as SVG ({result}); it is left to MathJax"
            diagnostics.warning(use.where, message)
    media = {image.name: image for image in draft.images}
    front = fill(draft.front, draft.marked, drawn, media).strip()
    back = fill(draft.back, draft.marked, drawn, media).strip()
    if allow_html:
        front, back = sanitize(front), sanitize(back)
    is_cloze = any(CLOZE_ATTEMPT.search(text) for text in (front, back))
    location, source_file = draft.note.location, draft.note.source
    source = _source_field(source_file.path, source_file.root)
    fields: tuple[str, ...]
    if is_cloze:
        text = f'<div class="ankigen-heading">{front}</div>\n<div class="ankigen-body">{back}</div>'
        fields = (text, front, source)
    elif draft.kind == "type":
        fields = (front, back, source, draft.answer)
    else:
        fields = (front, back, source)
    for problem in _field_problems(fields, is_cloze, draft):
        diagnostics.error(location, problem)
    if not draft.reported_in_parse:
        for problem in _storable_problems(fields, media):
            diagnostics.error(location, problem)
    kind = "cloze" if is_cloze else draft.kind
    return draft.note._replace(
        kind=kind,
        fields=fields,
        ordinals=card_ordinals(kind, fields),
        media=tuple(sorted(media.values(), key=lambda m: m.name)),
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


def _field_problems(fields: Sequence[str], is_cloze: bool, draft: DraftNote) -> list[str]:
    """What Anki would accept silently but show wrongly, read off the finished fields.

    The checks in parse read the markdown; these read what Anki will read, so markup that
    only becomes a deletion or a formula after rendering (`\\{\\{c1::`, `\\\\(`) is caught too.
    """
    problems = []
    fields, source = fields[:2], fields[2]
    if is_cloze:
        raw = [
            m.group(1) for t in (draft.heading, draft.body_text) for m in CLOZE_ATTEMPT.finditer(t)
        ]
        raw += attempts_once_rendered(draft.heading, draft.body_text)  # parse checked these
        attempts = [m.group(1) for f in fields for m in CLOZE_ATTEMPT.finditer(f)]
        fresh = [n for n in attempts if n not in raw and n not in draft.numbered]
        problem = number_problem(fresh)
        if problem is not None:
            problems.append(problem)
        elif (
            not cloze_numbers(*fields)
            and all(cloze_number(n) for n in raw)
            and not any(scan_clozes(t).problems for t in (draft.heading, draft.body_text))
        ):  # Anki reads no deletion, and parse has not already said why (`{{c1::` never closed)
            problems.append("the cloze note has no deletion, so Anki would make no card")
    elif not re.sub(r"<(?!img)[^>]*>|&nbsp;|\s", "", fields[0]):
        problems.append("the card's front is empty once rendered, so Anki would make no card")
    elif draft.kind == "reversed" and not re.sub(r"<(?!img)[^>]*>|&nbsp;|\s", "", fields[1]):
        problems.append("the reversed card's body is empty once rendered: nothing to ask")
    runs = [run for field in (*fields, source) for run in field_strings(field)]
    for tex in dict.fromkeys(tex for run in runs for tex in spans(run)):
        if tex not in draft.checked:  # parse checked these
            problems += [f"formula: {problem.message}" for problem in unsafe_tex(tex)]
    return problems
