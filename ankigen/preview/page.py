"""The preview page: every card's front and back in the deck's own CSS, with navigation by deck,
a filter box, a day/night switch and the source of each card."""

from __future__ import annotations

import html
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from ..html_text import strip_html
from ..notetypes import card_css
from .cards import PreviewCard, note_fields
from .templates import typed_answer_shown

MATHJAX_FOLDER = "mathjax"  # in the preview folder: the bundle, its TeX extensions and fonts
MATHJAX_BUNDLE = "tex-chtml-full.js"  # what Anki's reviewer loads: CommonHTML output, all of TeX
TEX_PACKAGES = ("noerrors", "mathtools", "mhchem")  # what Anki loads besides MathJax's defaults

# Anki's MathJax settings: `\(...\)` inline, `\[...\]` display, no `$`, no environments outside
# math, no \ref; only the cards (`div.ankigen`) are searched for formulas, never the page's own
# text (a deck name is no formula); the page says on <html data-mathjax> when every card is typeset.
_MATHJAX_CONFIG = """\
window.MathJax = {
  tex: {
    inlineMath: [["\\\\(", "\\\\)"]],
    displayMath: [["\\\\[", "\\\\]"]],
    processEscapes: false,
    processEnvironments: false,
    processRefs: false,
    packages: {"[+]": %(packages)s, "[-]": ["textmacros"]}
  },
  loader: {load: %(load)s},
  options: {enableMenu: false, ignoreHtmlClass: "pv-[a-z-]+", processHtmlClass: "ankigen"},
  startup: {
    pageReady() {
      const root = document.documentElement;
      return MathJax.startup.defaultPageReady().then(
        () => { root.dataset.mathjax = "done"; },
        (error) => { root.dataset.mathjax = "failed"; console.error(error); });
    }
  }
};"""


@dataclass(frozen=True)
class PageInfo:
    """What the page says about itself besides the cards."""

    title: str
    build_id: str  # changes with every build; a served page reloads when it does
    changed_since: str | None = None  # the git revision, in --changed-since mode
    status: dict[str, str] = field(default_factory=dict)  # card key -> "new" | "changed"
    removed: tuple[str, ...] = ()  # headings of notes removed since the revision


@dataclass
class Deck:
    """A deck of the page, with its own cards and its subdecks."""

    name: str  # full name, `Parent::Child`
    anchor: str = ""
    cards: list[PreviewCard] = field(default_factory=list)
    children: dict[str, Deck] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.cards) + sum(child.total for child in self.children.values())


def deck_tree(cards: Sequence[PreviewCard]) -> list[Deck]:
    """Top-level decks with their subdecks, in the order the notes first name them."""
    top: dict[str, Deck] = {}
    for card in cards:
        level, path = top, []
        for part in card.note.deck.split("::"):
            path.append(part)
            deck = level.setdefault(part, Deck("::".join(path)))
            level = deck.children
        deck.cards.append(card)
    ordered: list[Deck] = []

    def number(decks: dict[str, Deck]) -> None:
        for deck in decks.values():
            ordered.append(deck)
            deck.anchor = f"deck-{len(ordered)}"
            number(deck.children)

    number(top)
    return list(top.values())


def render_page(cards: Sequence[PreviewCard], info: PageInfo) -> str:
    """The whole index.html."""
    decks = deck_tree(cards)
    notes = len({card.note.guid for card in cards})
    packages = "[" + ", ".join(f'"{name}"' for name in TEX_PACKAGES) + "]"
    load = "[" + ", ".join(f'"[tex]/{name}"' for name in TEX_PACKAGES) + "]"
    mathjax = _MATHJAX_CONFIG % {"packages": packages, "load": load}
    count = f"{len(cards)} card{'s' * (len(cards) != 1)}"
    numbers = itertools.count(1)
    body = "".join(_deck_section(deck, info, numbers) for deck in decks) or _empty(info)
    return f"""<!DOCTYPE html>
<html lang="en" data-build="{_attr(info.build_id)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="ankigen preview">
<title>{_text(info.title)} · ankigen preview</title>
<link rel="stylesheet" href="preview.css">
<style id="note-type-css">
{card_css()}</style>
<script>
{mathjax}
</script>
<script defer src="{MATHJAX_FOLDER}/{MATHJAX_BUNDLE}"></script>
<script defer src="preview.js"></script>
</head>
<body>
<header class="pv-bar">
  <div class="pv-brand">
    <h1>{_text(info.title)}</h1>
    <p class="pv-sub"><span id="pv-count" data-total="{len(cards)}">{count}</span>
      · {notes} note{"s" * (notes != 1)}{_since(info)}</p>
  </div>
  <label class="pv-filter"><span class="pv-visually-hidden">Filter cards</span>
    <input id="pv-filter" type="search" placeholder="Filter cards…  ( / )" autocomplete="off"
      spellcheck="false"></label>
  <div class="pv-switches">
    <label class="pv-switch" title="Show only fronts; click a card to turn it">
      <input id="pv-hide-answers" type="checkbox"> <span>Quiz</span></label>
    <label class="pv-switch" title="Anki's night mode">
      <input id="pv-night" type="checkbox"> <span>Night</span></label>
  </div>
</header>
<div class="pv-layout">
<nav class="pv-nav" aria-label="Decks and sections">
<p class="pv-nav-title">Decks</p>
{_nav(decks)}
</nav>
<main class="pv-main">
{_banner(info)}{body}
<p id="pv-none" class="pv-empty" hidden>No card matches the filter.</p>
</main>
</div>
<footer class="pv-footer">Rendered with the deck's own note types and CSS, as Anki shows the
cards · formulas by MathJax 3 · made by <code>ankigen preview</code></footer>
</body>
</html>
"""


def _nav(decks: Sequence[Deck]) -> str:
    items = []
    for deck in decks:
        name = deck.name.rsplit("::", 1)[-1]
        link = f'<a href="#{deck.anchor}">{_text(name)}</a>' if deck.cards else _text(name)
        children = f"\n{_nav(list(deck.children.values()))}" if deck.children else ""
        items.append(
            f'<li data-deck="{deck.anchor}"><span class="pv-nav-row">{link}'
            f'<span class="pv-n" data-total="{deck.total}">{deck.total}</span></span>'
            f"{children}</li>"
        )
    return "<ul>\n" + "\n".join(items) + "\n</ul>"


def _deck_section(deck: Deck, info: PageInfo, numbers: Iterator[int]) -> str:
    own = ""
    if deck.cards:
        parts = deck.name.split("::")
        trail = "".join(f'<span class="pv-crumb">{_text(p)}</span>' for p in parts[:-1])
        tiles = "\n".join(_tile(card, next(numbers), info) for card in deck.cards)
        own = (
            f'<section class="pv-deck" id="{deck.anchor}" data-deck="{deck.anchor}">\n'
            f'<h2 class="pv-deck-title">{trail}<span>{_text(parts[-1])}</span></h2>\n'
            f"{tiles}\n</section>\n"
        )
    children = deck.children.values()
    return own + "".join(_deck_section(child, info, numbers) for child in children)


def _tile(card: PreviewCard, number: int, info: PageInfo) -> str:
    note = card.note
    where = f"{note.location.path}:{note.location.line}"
    if card.note_type.is_cloze:
        kind = f"Cloze {card.ordinal + 1}"
        kind += f" · {card.note_cards} cards" if card.note_cards > 1 else ""
    else:
        kind = {"reversed": f"Reversed · card {card.ordinal + 1} of 2", "type": "Type-in"}.get(
            note.kind, "Basic"
        )
    status = info.status.get(card.key)
    badge = f'<span class="pv-badge pv-{status}">{status}</span>' if status else ""
    fields = note_fields(note)  # a type-in card's answer box, as Anki's reviewer shows it:
    question = typed_answer_shown(card.question, fields, question=True)
    answer = typed_answer_shown(card.answer, fields, question=False)
    texts = (card.title, strip_html(question), strip_html(answer), where)
    search = " ".join((*texts, note.deck, note.identity, note.guid, *note.tags))
    search = " ".join(search.lower().split())
    body_class = f"card card{card.ordinal + 1}"
    key = _attr(card.key)
    return f"""<article class="pv-tile" id="card-{number}" data-card="{key}" \
data-search="{_attr(search)}">
<header class="pv-tile-head">
<h3 class="pv-title">{_text(card.title) or "(no heading)"}</h3>
<p class="pv-meta">{badge}<span class="pv-kind">{kind}</span>
<span class="pv-loc" title="source of the card">{_text(where)}</span>
<span class="pv-id" title="identity; the note's GUID is {_attr(note.guid)}">\
{_text(note.identity)}</span>
<code class="pv-guid" title="GUID: Anki matches notes by it">{_text(note.guid)}</code></p>
</header>
<div class="pv-faces">
<section class="pv-face pv-front" aria-label="front"><p class="pv-face-label">Front</p>
<div class="{body_class}">{question}</div></section>
<section class="pv-face pv-back" aria-label="back"><p class="pv-face-label">Back</p>
<div class="{body_class}">{answer}</div></section>
</div>
</article>"""


def _since(info: PageInfo) -> str:
    if info.changed_since is None:
        return ""
    return f" · changed since <code>{_text(info.changed_since)}</code>"


def _banner(info: PageInfo) -> str:
    if info.changed_since is None:
        return ""
    counts = {kind: sum(s == kind for s in info.status.values()) for kind in ("new", "changed")}
    text = (
        f"Only the cards added or changed since <code>{_text(info.changed_since)}</code>: "
        f"{counts['new']} new, {counts['changed']} changed."
    )
    if info.removed:
        names = ", ".join(_text(name) for name in info.removed)
        count = len(info.removed)
        text += f" Removed {count} note{'s' * (count != 1)}: {names}."
    return f'<p class="pv-banner">{text}</p>\n'


def _empty(info: PageInfo) -> str:
    if info.changed_since is not None:
        ref = _text(info.changed_since)
        return f'<p class="pv-empty">No card was added or changed since <code>{ref}</code>.</p>'
    return '<p class="pv-empty">No cards.</p>'


def _text(value: str) -> str:
    return html.escape(value, quote=False)


def _attr(value: str) -> str:
    return html.escape(value, quote=True)
