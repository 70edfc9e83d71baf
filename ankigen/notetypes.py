"""The two note types every ankigen deck uses: names, ids, fields, templates and CSS.

Their field lists are frozen: Anki turns a changed field list into a second note type and stops
updating existing notes. Templates and CSS may change; Anki updates them in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from .ids import stable_id

DAY_CODE_STYLE = "friendly"
NIGHT_CODE_STYLE = "github-dark"
NIGHT_SELECTORS = (".nightMode", ".night_mode")


@dataclass(frozen=True)
class NoteType:
    name: str
    id: int
    fields: tuple[str, ...]
    front: str
    back: str
    is_cloze: bool
    sort_field: int = 0  # the field Anki's browser shows and sorts by


_SOURCE = '{{#Source}}<div class="ankigen-source">{{Source}}</div>{{/Source}}'

BASIC = NoteType(
    name="ankigen Basic",
    id=stable_id("note type", "basic"),
    fields=("Front", "Back", "Source"),
    front='<div class="ankigen"><div class="ankigen-heading">{{Front}}</div></div>',
    back=(
        '<div class="ankigen"><div class="ankigen-heading">{{Front}}</div>'
        '<hr id="answer"><div class="ankigen-body">{{Back}}</div>' + _SOURCE + "</div>"
    ),
    is_cloze=False,
)

# The heading lives inside Text: Anki's `{{cloze:...}}` shows nothing for a field without the
# card's deletion, so a separate heading field would vanish, and clozes may sit in headings too.
# Heading repeats it for Anki's browser and sorting.
CLOZE = NoteType(
    name="ankigen Cloze",
    id=stable_id("note type", "cloze"),
    fields=("Text", "Heading", "Source"),
    front='<div class="ankigen">{{cloze:Text}}</div>',
    back='<div class="ankigen">{{cloze:Text}}' + _SOURCE + "</div>",
    is_cloze=True,
    sort_field=1,
)


_CARD_CSS = """\
.card {
  --fg: #1f2328; --bg: #fdfdfb; --muted: #6e7781; --accent: #0969da; --line: #d0d7de;
  --code-bg: #f3f4f6; --cloze: #0550ae; --mark: #fff8c5;
  font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    "Noto Sans", sans-serif;
  font-size: 20px; line-height: 1.5; color: var(--fg); background-color: var(--bg);
  text-align: left; margin: 0; padding: 0;
}
.card.nightMode, .nightMode .card, .card.night_mode, .night_mode .card {
  --fg: #e6edf3; --bg: #1b1e23; --muted: #8d96a0; --accent: #58a6ff; --line: #3d444d;
  --code-bg: #0d1117; --cloze: #79c0ff; --mark: #3b2f00;
}
.ankigen { max-width: 42em; margin: 0 auto; padding: 0.8em 1em 1.2em; }
.ankigen-heading { font-size: 1.2em; font-weight: 600; text-align: center; margin: 0.4em 0; }
.ankigen hr#answer { border: 0; border-top: 1px solid var(--line); margin: 0.8em 0; }
.ankigen-body > :first-child { margin-top: 0; }
.ankigen a { color: var(--accent); }
.ankigen ul, .ankigen ol { padding-left: 1.4em; }
.ankigen li { margin: 0.15em 0; }
.ankigen code { font-family: ui-monospace, "SF Mono", Menlo, Consolas, "Liberation Mono",
  monospace; font-size: 0.85em; background: var(--code-bg); border-radius: 4px;
  padding: 0.1em 0.3em; }
.ankigen pre { font-size: 0.8em; line-height: 1.4; overflow-x: auto; padding: 0.7em 0.9em;
  border-radius: 6px; background: var(--code-bg); border: 1px solid var(--line); }
.ankigen pre code { background: none; padding: 0; font-size: 1em; }
.ankigen .highlight { background: none; }
.ankigen .highlight pre { white-space: pre; }
.ankigen img { max-width: 100%; height: auto; }
.ankigen img.ankigen-math { display: inline; width: auto; }
.nightMode img.ankigen-math, .night_mode img.ankigen-math { filter: invert(1) hue-rotate(180deg); }
.ankigen table { border-collapse: collapse; margin: 0.6em 0; }
.ankigen th, .ankigen td { border: 1px solid var(--line); padding: 0.25em 0.6em; }
.ankigen blockquote { margin: 0.6em 0; padding-left: 0.8em; border-left: 3px solid var(--line);
  color: var(--muted); }
.ankigen .math-display { overflow-x: auto; text-align: center; margin: 0.6em 0; }
.ankigen figure { margin: 0.8em 0; text-align: center; }
.ankigen figcaption { font-size: 0.8em; color: var(--muted); }
.cloze { font-weight: 600; color: var(--cloze); }
.ankigen-source { margin-top: 1.6em; font-size: 0.65em; color: var(--muted); text-align: right; }
@media (max-width: 600px) {
  .card { font-size: 18px; }
  .ankigen { padding: 0.5em 0.6em 1em; }
}
"""


@cache
def card_css() -> str:
    """The CSS shared by both note types: card layout plus code colours for day and night."""
    from pygments.formatters import HtmlFormatter

    day = HtmlFormatter(style=DAY_CODE_STYLE).get_token_style_defs(".ankigen .highlight")
    night = HtmlFormatter(style=NIGHT_CODE_STYLE).get_token_style_defs(
        [f"{mode} .ankigen .highlight" for mode in NIGHT_SELECTORS]
    )
    return _CARD_CSS + "\n".join([*day, *night]) + "\n"
