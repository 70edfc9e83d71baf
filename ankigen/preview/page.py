"""The preview page: a shell around the cards, with navigation by deck, a filter box, a day/night
switch and the source of each card. The cards themselves are data files (chunks.py) that the
page's script (preview.js) loads as they near the screen; the shell holds a placeholder for
each chunk, sized from its count of cards until it is shown."""

from __future__ import annotations

import hashlib
import html
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..notetypes import card_css
from .cards import PreviewCard
from .chunks import Chunk, DataFile, Row

MATHJAX_FOLDER = "mathjax"  # in the preview folder: the bundle, its TeX extensions and fonts
MATHJAX_BUNDLE = "tex-chtml-full.js"  # what Anki's reviewer loads: CommonHTML output, all of TeX
TEX_PACKAGES = ("noerrors", "mathtools", "mhchem")  # what Anki loads besides MathJax's defaults

# Anki's MathJax settings: `\(...\)` inline, `\[...\]` display, no `$`, no environments outside
# math, no \ref; only the cards (`div.ankigen`) are searched for formulas, never the page's own
# text (a deck name is no formula). With `typeset: false` nothing is typeset on load: the
# preview's script typesets each card as it nears the screen; otherwise the whole document is,
# and <html data-mathjax> says when.
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
  startup: %(startup)s
};"""
_TYPESET_ON_LOAD = """{
    pageReady() {
      const root = document.documentElement;
      return MathJax.startup.defaultPageReady().then(
        () => { root.dataset.mathjax = "done"; },
        (error) => { root.dataset.mathjax = "failed"; console.error(error); });
    }
  }"""


def mathjax_config(*, typeset_on_load: bool) -> str:
    """The script that configures MathJax as Anki does, before its bundle loads."""
    packages = "[" + ", ".join(f'"{name}"' for name in TEX_PACKAGES) + "]"
    load = "[" + ", ".join(f'"[tex]/{name}"' for name in TEX_PACKAGES) + "]"
    startup = _TYPESET_ON_LOAD if typeset_on_load else "{typeset: false}"
    return _MATHJAX_CONFIG % {"packages": packages, "load": load, "startup": startup}


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
    by_name: dict[str, Deck] = {}
    for card in cards:
        name = card.note.deck
        if name not in by_name:
            level, path = top, []
            for part in name.split("::"):
                path.append(part)
                by_name[name] = level.setdefault(part, Deck("::".join(path)))
                level = by_name[name].children
        by_name[name].cards.append(card)
    for deck in all_decks(list(top.values())):
        # named after the deck, not numbered: a deck added above changes no other's anchor
        digest = hashlib.blake2b(deck.name.encode(), digest_size=5).hexdigest()
        deck.anchor = f"deck-{digest}"
    return list(top.values())


ESTIMATED_TILE_PX = 420  # a placeholder's height per card until its chunk is shown


def render_page(
    decks: Sequence[Deck],
    chunks: Sequence[Chunk],
    index: DataFile | None,
    info: PageInfo,
) -> str:
    """The page's index.html: everything but the cards, which are in the chunks' files, and
    the search `index` the filter reads (None when there are no cards)."""
    total = sum(chunk.count for chunk in chunks)
    notes = len({card.note.guid for deck in all_decks(decks) for card in deck.cards})
    count = f"{total} card{'s' * (total != 1)}"
    index_script = f'<script defer src="{index.name}"></script>\n' if index else ""
    placeholders = "\n".join(_placeholder(chunk) for chunk in chunks)
    body = f'<div id="pv-cards">\n{placeholders}\n</div>' if chunks else _empty(info)
    return f"""<!DOCTYPE html>
<html lang="en" data-build="{_attr(info.build_id)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="ankigen preview">
<title>{_text(info.title)} · ankigen preview</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="preview.css">
<style id="note-type-css">
{card_css()}</style>
<script>
{mathjax_config(typeset_on_load=False)}
</script>
<script defer src="{MATHJAX_FOLDER}/{MATHJAX_BUNDLE}"></script>
<script defer src="preview.js"></script>
{index_script}</head>
<body>
<header class="pv-bar">
  <div class="pv-brand">
    <h1>{_text(info.title)}</h1>
    <p class="pv-sub"><span id="pv-count" data-total="{total}">{count}</span>
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


def _placeholder(chunk: Chunk) -> str:
    """Where a chunk's cards go: its file, its cards' numbers and the lines they are written
    at, the decks whose heading it holds (for links to them), and its height until shown."""
    decks = " ".join(row.deck for row in chunk.rows if row.deck_title is not None)
    lines = " ".join(str(row.card.note.location.line) for row in chunk.rows)
    return (
        f'<div class="pv-chunk" data-src="{chunk.file.name}" data-first="{chunk.first}" '
        f'data-count="{chunk.count}" data-lines="{lines}" data-decks="{decks}" '
        f'data-estimate="{ESTIMATED_TILE_PX}" style="height: {chunk.count * ESTIMATED_TILE_PX}px">'
        "</div>"
    )


def all_decks(decks: Sequence[Deck]) -> list[Deck]:
    """Every deck of the tree, in the page's order: a deck, then its subdecks."""
    found: list[Deck] = []
    for deck in decks:
        found.append(deck)
        found.extend(all_decks(list(deck.children.values())))
    return found


def page_rows(decks: Sequence[Deck]) -> list[Row]:
    """The cards in the page's order, each with its deck; a deck's first card carries the
    deck's name, where its heading goes."""
    rows = []
    for deck in all_decks(decks):
        for number, card in enumerate(deck.cards):
            title = tuple(deck.name.split("::")) if number == 0 else None
            rows.append(Row(card, deck.anchor, title))
    return rows


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
