"""Card rules about what the markdown makes of the card: its `==…==` deletions and their
numbers, clozes and formulas made by rendering, code languages and cloze answers."""

from __future__ import annotations

from collections.abc import Iterator

from ..anki_cloze import MAX_CLOZE
from ..cloze import attempts_once_rendered, number_problem
from ..cloze_answers import check_answers
from ..errors import Diagnostic
from ..highlight import lexer_for
from ..markdown import markdown_parser
from ..texcheck import unsafe_tex
from ..texcheck.fields import text_formulas
from .card import CardDraft, FileContext, error, warning


def shorthand_numbers(card: CardDraft, context: FileContext) -> Iterator[Diagnostic]:
    """`==x==` deletions are numbered after the highest `{{cN::`: none may pass MAX_CLOZE."""
    highest = card.cloze_highest
    inlines = [token for token in (card.heading, *card.body) if token.type == "inline"]
    room = MAX_CLOZE - highest
    if sum(token.content.count("==") for token in inlines) // 2 <= room:
        return  # the usual case: too few `==` to matter, whatever they turn out to be
    md = markdown_parser(context.allow_html)  # `check` has not tokenized them
    env = {"references": context.references}
    count = 0
    for inline in inlines:
        children = md.parseInline(inline.content, env)[0].children or []
        count += sum(1 for child in children if child.type == "cloze_open")
        if count > room:
            yield error(
                context.locate(inline, "=="),
                f"this card's `==…==` deletions are numbered after {{{{c{highest}::…}}}}, "
                f"beyond {MAX_CLOZE}, the largest cloze number Anki stores",
            )
            return


def clozes_once_rendered(card: CardDraft, context: FileContext) -> Iterator[Diagnostic]:
    """`\\{\\{c0::`: markup that is a cloze only once rendered has a valid number too."""
    problem = number_problem(attempts_once_rendered(card.text, card.body_text))
    if problem is not None:
        yield error(card.location, problem)


def text_made_formulas(card: CardDraft, context: FileContext) -> Iterator[Diagnostic]:
    """What the formulas the card's text makes (`\\\\(…\\\\)`, not a `$`) would do to the card."""
    tokens = [card.heading, *card.body]
    for tex in dict.fromkeys(text_formulas(tokens, context.allow_html, context.source)):
        for problem in unsafe_tex(tex):
            yield error(card.location, f"formula: {problem.message}")


def code_languages(card: CardDraft, context: FileContext) -> Iterator[Diagnostic]:
    """A code block's language that pygments does not know is shown without highlighting."""
    for token in card.body:
        if token.type != "fence":
            continue
        words = token.info.split()
        language = words[0] if words else card.code_language
        if not language or language == "plot":
            continue
        if lexer_for(language) is None:
            line = token.map[0] if token.map else 0
            message = f"unknown code language {language!r}: shown without highlighting"
            yield warning(context.at(line), message)


def cloze_answers(card: CardDraft, context: FileContext) -> Iterator[Diagnostic]:
    """A deletion whose answer its own card's front shows."""
    yield from check_answers(
        card.text, card.body_text, card.heading_line, card.heading_col, card.body_line, context.at
    )
