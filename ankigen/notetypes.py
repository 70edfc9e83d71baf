"""The note types of ankigen decks: names, ids, fields, templates, CSS and time.

Their field lists are frozen: Anki turns a changed field list into a second note type and stops
updating existing notes. Templates and CSS may change; Anki updates them in place, but only from
a package whose note type is newer than the student's copy. So each note type carries its own
time, `changed`, which moves exactly when the note type does (fields, templates or CSS, the code
colours of Pygments included) and never with the notes: a release whose note types did not change
leaves a student's restyled cards alone, and one that changed them restyles every collection.
When you change a note type, set its `changed` to the time of the change, later than before;
tests/test_notetypes.py keeps the digest of every version and fails until you do.

Every field and template has a fixed id, as Anki's own note types have since 23.10: Anki
matches fields and templates by id, so a student who renames one still gets the next release's
notes, and "merge note types" on import merges a changed field list into the student's note type.
The ids derive from the names the fields were first given: keep them if a field is renamed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

from .ids import stable_id

DAY_CODE_STYLE = "friendly"
NIGHT_CODE_STYLE = "github-dark"
NIGHT_SELECTORS = (".nightMode", ".night_mode")


class CardTemplate(NamedTuple):
    """A further card template of a note type: the reversed card's."""

    name: str
    id: int
    front: str
    back: str


@dataclass(frozen=True)
class NoteType:
    name: str
    id: int
    fields: tuple[str, ...]
    field_ids: tuple[int, ...]
    template: str  # the first card template's name
    template_id: int
    front: str
    back: str
    is_cloze: bool
    changed: int  # Unix seconds: when fields, templates or CSS last changed; Anki compares it
    sort_field: int = 0  # the field Anki's browser shows and sorts by
    more_templates: tuple[CardTemplate, ...] = ()  # cards 2, ...: each makes a card per note

    @property
    def templates(self) -> tuple[CardTemplate, ...]:
        """Every card template, in Anki's order (a card's `ord` is its index here)."""
        first = CardTemplate(self.template, self.template_id, self.front, self.back)
        return (first, *self.more_templates)


def _field_ids(kind: str, *names: str) -> tuple[int, ...]:
    """Fixed ids for a note type's fields, from the names they were first given."""
    return tuple(stable_id("note type", kind, "field", name) for name in names)


_SOURCE = '{{#Source}}<div class="ankigen-source">{{Source}}</div>{{/Source}}'
# The card's deck, small above the heading: where the card sits in the student's collection
# ("Deep Learning Flashcards::Probability"), so "Product Rule" is not mistaken for calculus. A
# template's `{{Deck}}` rather than a field: the fields stay frozen, and the line follows a card
# the student moves.
_DECK = '<div class="ankigen-deck">{{Deck}}</div>'

BASIC = NoteType(
    name="ankigen Basic",
    id=stable_id("note type", "basic"),
    fields=("Front", "Back", "Source"),
    field_ids=_field_ids("basic", "Front", "Back", "Source"),
    template="Card 1",
    template_id=stable_id("note type", "basic", "template", "Card 1"),
    front='<div class="ankigen">' + _DECK + '<div class="ankigen-heading">{{Front}}</div></div>',
    back=(
        '<div class="ankigen">' + _DECK + '<div class="ankigen-heading">{{Front}}</div>'
        '<hr id="answer"><div class="ankigen-body">{{Back}}</div>' + _SOURCE + "</div>"
    ),
    is_cloze=False,
    changed=1_795_991_600,  # 2026-11-29: a typed answer's box and comparison fit a phone
)

# The heading lives inside Text: Anki's `{{cloze:...}}` shows nothing for a field without the
# card's deletion, so a separate heading field would vanish, and clozes may sit in headings too.
# Heading repeats it for Anki's browser and sorting.
CLOZE = NoteType(
    name="ankigen Cloze",
    id=stable_id("note type", "cloze"),
    fields=("Text", "Heading", "Source"),
    field_ids=_field_ids("cloze", "Text", "Heading", "Source"),
    template="Cloze",
    template_id=stable_id("note type", "cloze", "template", "Cloze"),
    front='<div class="ankigen">' + _DECK + "{{cloze:Text}}</div>",
    back='<div class="ankigen">' + _DECK + "{{cloze:Text}}" + _SOURCE + "</div>",
    is_cloze=True,
    changed=1_795_991_600,  # 2026-11-29: a typed answer's box and comparison fit a phone
    sort_field=1,
)

# A reversed card's note shares the Basic's fields and their ids, and its first template is the
# Basic's, id and all: so "Merge note types" on import turns a student's basic note into this one
# in place, keeping the note, its card and its reviews, and adding the reverse card (measured
# with Anki's importer; docs/releases.md, *Changing a card's kind*).
REVERSED = NoteType(
    name="ankigen Basic (and reversed)",
    id=stable_id("note type", "reversed"),
    fields=BASIC.fields,
    field_ids=BASIC.field_ids,
    template=BASIC.template,
    template_id=BASIC.template_id,
    front=BASIC.front,
    back=BASIC.back,
    is_cloze=False,
    changed=1_795_991_600,  # 2026-11-29: the first version
    more_templates=(
        CardTemplate(
            "Card 2",
            stable_id("note type", "reversed", "template", "Card 2"),
            '<div class="ankigen">' + _DECK + '<div class="ankigen-body">{{Back}}</div></div>',
            '<div class="ankigen">' + _DECK + '<div class="ankigen-body">{{Back}}</div>'
            '<hr id="answer"><div class="ankigen-heading">{{Front}}</div>' + _SOURCE + "</div>",
        ),
    ),
)

# A type-in card: the student types Answer, plain text from the body's first paragraph, and
# Anki compares it with what was typed; Back is the rest of the body, shown after. Front, Back
# and Source keep the Basic's ids and places, and the template is the Basic's (by id), so that
# merging note types on import keeps a basic note's card.
TYPE_IN = NoteType(
    name="ankigen Type-in",
    id=stable_id("note type", "type-in"),
    fields=(*BASIC.fields, "Answer"),
    field_ids=(*BASIC.field_ids, *_field_ids("type-in", "Answer")),
    template=BASIC.template,
    template_id=BASIC.template_id,
    front=(
        '<div class="ankigen">' + _DECK + '<div class="ankigen-heading">{{Front}}</div>'
        "{{type:Answer}}</div>"
    ),
    back=(
        '<div class="ankigen">' + _DECK + '<div class="ankigen-heading">{{Front}}</div>'
        '<hr id="answer">{{type:Answer}}'
        '{{#Back}}<div class="ankigen-body">{{Back}}</div>{{/Back}}' + _SOURCE + "</div>"
    ),
    is_cloze=False,
    changed=1_795_991_600,  # 2026-11-29: the first version
)

NOTE_TYPES: dict[str, NoteType] = {  # by a note's kind
    "basic": BASIC,
    "cloze": CLOZE,
    "reversed": REVERSED,
    "type": TYPE_IN,
}


_CARD_CSS = """\
.card {
  --fg: #1f2328; --bg: #fdfdfb; --muted: #6e7781; --accent: #0969da; --line: #d0d7de;
  --code-bg: #f3f4f6; --cloze: #0550ae;
  font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    "Noto Sans", sans-serif;
  font-size: 20px; line-height: 1.5; color: var(--fg); background-color: var(--bg);
  text-align: left; margin: 0; padding: 0;
}
/* Night: the background is Anki's own dark canvas (its `--canvas`), the colour of the window
   around the card. */
.card.nightMode, .nightMode .card, .card.night_mode, .night_mode .card {
  --fg: #e6edf3; --bg: #2c2c2c; --muted: #9aa1a9; --accent: #58a6ff; --line: #4a4f57;
  --code-bg: #1b1e23; --cloze: #79c0ff;
}
.ankigen { max-width: 42em; margin: 0 auto; padding: 0.8em 1em 1.2em; }
.ankigen-deck { font-size: 0.7em; color: var(--muted); text-align: center; margin-top: 0.2em;
  overflow-wrap: anywhere; }
.ankigen-heading { font-size: 1.2em; font-weight: 600; text-align: center; margin: 0.4em 0; }
.ankigen hr#answer { border: 0; border-top: 1px solid var(--line); margin: 0.8em 0; }
.ankigen-body > :first-child { margin-top: 0; }
.ankigen a { color: var(--accent); overflow-wrap: anywhere; }
.ankigen ul, .ankigen ol { padding-left: 1.4em; }
.ankigen li { margin: 0.15em 0; }
.ankigen code { font-family: ui-monospace, "SF Mono", Menlo, Consolas, "Liberation Mono",
  monospace; font-size: 0.85em; background: var(--code-bg); border-radius: 4px;
  padding: 0.1em 0.3em; }
/* Code wraps at the card's edge, so no line is ever hidden (a phone shows no scroll bar). */
.ankigen pre { font-size: 0.8em; line-height: 1.4; overflow-x: auto; padding: 0.7em 0.9em;
  border-radius: 6px; background: var(--code-bg); border: 1px solid var(--line);
  white-space: pre-wrap; overflow-wrap: anywhere; tab-size: 4; -moz-tab-size: 4; }
.ankigen pre code { background: none; padding: 0; font-size: 1em; }
.ankigen .highlight { background: none; }
.ankigen img { max-width: 100%; height: auto; }
/* Drawn pictures fill the card's width up to 28em: labels drawn at 8 points are 11 px on a phone */
.ankigen figure.ankigen-plot img { width: 100%; max-width: 28em; }
.ankigen img.ankigen-math { display: inline; width: auto; }
.nightMode img.ankigen-math, .night_mode img.ankigen-math { filter: invert(1) hue-rotate(180deg); }
.ankigen table { border-collapse: collapse; margin: 0.6em 0; }
.ankigen th, .ankigen td { border: 1px solid var(--line); padding: 0.25em 0.6em; }
.ankigen blockquote { margin: 0.6em 0; padding-left: 0.8em; border-left: 3px solid var(--line);
  color: var(--muted); }
.ankigen .math-display { overflow-x: auto; text-align: center; margin: 0.6em 0; }
.ankigen figure { margin: 0.8em 0; text-align: center; }
.ankigen figcaption { font-size: 0.8em; color: var(--muted); }
/* Night: no token keeps the day style's background (Comment.Special's pink). */
.nightMode .ankigen .highlight span, .night_mode .ankigen .highlight span {
  background-color: transparent; }
.cloze { font-weight: 600; color: var(--cloze); }
/* A typed answer: the box fills the card, and Anki's comparison wraps like code, so a phone
   shows all of it. */
.ankigen input#typeans { width: 100%; box-sizing: border-box; font-size: 0.9em; }
.ankigen code#typeans { display: block; margin-bottom: 0.8em; white-space: pre-wrap;
  overflow-wrap: anywhere; }
.ankigen-source { margin-top: 1.6em; font-size: 0.65em; color: var(--muted); text-align: right; }
@media (max-width: 600px) {
  .card { font-size: 18px; }
  .ankigen { padding: 0.5em 0.6em 1em; }
}
"""


@cache
def card_css() -> str:
    """The CSS every note type shares: card layout plus code colours for day and night."""
    from pygments import formatters  # type: ignore[import-untyped, unused-ignore]

    html: Any = formatters.HtmlFormatter  # its methods are untyped
    day = html(style=DAY_CODE_STYLE).get_token_style_defs(".ankigen .highlight")
    night = html(style=NIGHT_CODE_STYLE).get_token_style_defs(
        [f"{mode} .ankigen .highlight" for mode in NIGHT_SELECTORS]
    )
    return _CARD_CSS + "\n".join([*day, *night]) + "\n"
