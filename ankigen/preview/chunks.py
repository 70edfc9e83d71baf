"""The cards of the page as data files the page loads on demand: tiles in chunks, and the index
the filter searches.

A deck of 10,000 cards cannot be one page: the browser would lay out, and MathJax typeset, every
card before showing any. So the page (page.py) is a shell with a placeholder per chunk of cards;
the page's script loads a chunk's file when its placeholder nears the screen. The files are
scripts (`ankigenPreview.chunk(...)`), not JSON, because a page opened from disk may not fetch.

Files are named after their content, so an unchanged chunk keeps its name and is not written
again, and a browser never shows a stale one. Chunk boundaries depend on the cards' own keys, not
on their count from the start, so a card added or removed changes its own chunk and no other.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..html_text import strip_html
from .cards import PreviewCard

CHUNK_FOLDER = "cards"
CHUNK_MAX = 64  # cards; what a page inserts at once stays small
DIGEST_CHARS = 24  # of a data file's sha256, in its name
_BOUNDARY_ODDS = 24  # a chunk ends after a card whose key's digest is 0 modulo this


@dataclass(frozen=True)
class DataFile:
    """A script the page loads: its name in the preview folder and its bytes (None: a file an
    earlier run wrote, checked to be intact, kept as it is)."""

    name: str  # "cards/<digest>.js"
    data: bytes | None


@dataclass(frozen=True)
class Row:
    """A card in the page's order, with the deck section it belongs to."""

    card: PreviewCard
    deck: str  # the deck's anchor
    deck_title: tuple[str, ...] | None  # the deck's name parts, on the deck's first card only


@dataclass(frozen=True)
class Chunk:
    """Cards shown together, as one data file, with each card's text for the filter."""

    file: DataFile
    first: int  # the page's number of its first card, from 1
    rows: Sequence[Row]
    texts: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.rows)


def plan_chunks(rows: Sequence[Row]) -> list[tuple[int, Sequence[Row]]]:
    """The rows cut into chunks: each chunk's first card's number (from 1) and its rows."""
    plans: list[tuple[int, Sequence[Row]]] = []
    start = 0
    for end, row in enumerate(rows, start=1):
        if end - start >= CHUNK_MAX or _ends_chunk(row.card.key) or end == len(rows):
            plans.append((start + 1, rows[start:end]))
            start = end
    return plans


def render_chunk(first: int, rows: Sequence[Row], status: dict[str, str]) -> Chunk:
    """A chunk's data file and texts, rendered."""
    file = data_file("chunk", _chunk_html(rows, status))
    return Chunk(file, first, rows, tuple(search_text(row.card) for row in rows))


def search_index(chunks: Sequence[Chunk], decks: Sequence[str]) -> DataFile:
    """What the filter searches: each card's text (`search_text`) and deck, in page order."""
    number = {anchor: index for index, anchor in enumerate(decks)}
    deck_of = [number[row.deck] for chunk in chunks for row in chunk.rows]
    head = _json({"decks": list(decks), "deck": deck_of})[:-1].encode()
    encoded = {
        chunk.texts: _ENCODED.get(chunk.texts) or _json(chunk.texts)[1:-1].encode()
        for chunk in chunks
    }
    texts = b",".join(encoded[chunk.texts] for chunk in chunks if chunk.texts)
    _ENCODED.clear()
    _ENCODED.update(encoded)
    # as _json would write {"decks": ..., "deck": ..., "text": [every card's text]}
    return _named("index", b"".join((head, b',"text":[', texts, b"]}")))


# The texts of the latest index by chunk, as JSON: `--serve` writes the index on every save,
# and most chunks are as they were.
_ENCODED: dict[tuple[str, ...], bytes] = {}


def search_text(card: PreviewCard) -> str:
    """One card's text for the filter."""
    note = card.note
    where = note.location.path  # not its line: a line added above would change every text after
    texts = (card.title, strip_html(card.shown_question), strip_html(card.shown_answer), where)
    text = " ".join((*texts, note.deck, note.identity, note.guid, *note.tags))
    return " ".join(text.lower().split())


@functools.lru_cache(maxsize=1 << 17)  # `--serve` plans the same cards on every save
def _ends_chunk(key: str) -> bool:
    digest = hashlib.blake2b(key.encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") % _BOUNDARY_ODDS == 0


def data_file(call: str, value: object) -> DataFile:
    """A script that hands `value` to the page: `ankigenPreview.<call>("<digest>",value);`,
    named after the digest of `value`'s JSON."""
    return _named(call, _json(value).encode())


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _named(call: str, payload: bytes) -> DataFile:
    digest = hashlib.sha256(payload).hexdigest()[:DIGEST_CHARS]
    head, tail = _wrapping(call, digest)
    return DataFile(f"{CHUNK_FOLDER}/{digest}.js", head + payload + tail)


def intact(call: str, name: str, data: bytes) -> bool:
    """Whether `data` is what `data_file(call, ...)` makes for a file called `name`."""
    digest = name.removeprefix(f"{CHUNK_FOLDER}/").removesuffix(".js")
    head, tail = _wrapping(call, digest)
    if not (data.startswith(head) and data.endswith(tail)):
        return False
    payload = data[len(head) : len(data) - len(tail)]
    return hashlib.sha256(payload).hexdigest()[:DIGEST_CHARS] == digest


def _wrapping(call: str, digest: str) -> tuple[bytes, bytes]:
    return f'ankigenPreview.{call}("{digest}",'.encode(), b");\n"


def _chunk_html(rows: Sequence[Row], status: dict[str, str]) -> str:
    """The chunk's tiles, in a section per run of cards of one deck; the deck's heading (and
    its anchor) where its first card is."""
    parts: list[str] = []
    for run in _runs(rows):
        first = run[0]
        head = ""
        if first.deck_title is not None:
            *crumbs, name = first.deck_title
            trail = "".join(f'<span class="pv-crumb">{_text(p)}</span>' for p in crumbs)
            head = f'<h2 class="pv-deck-title">{trail}<span>{_text(name)}</span></h2>\n'
        anchor = f' id="{first.deck}"' if first.deck_title is not None else ""
        tiles = "\n".join(tile(row.card, status) for row in run)
        parts.append(
            f'<section class="pv-deck"{anchor} data-deck="{first.deck}">\n{head}{tiles}\n'
            "</section>\n"
        )
    return "".join(parts)


def _runs(rows: Iterable[Row]) -> list[list[Row]]:
    runs: list[list[Row]] = []
    for row in rows:
        if runs and runs[-1][0].deck == row.deck and row.deck_title is None:
            runs[-1].append(row)
        else:
            runs.append([row])
    return runs


def tile(card: PreviewCard, status: dict[str, str]) -> str:
    """One card's tile: heading, kind, source, identity, GUID, then its front and back. Its
    anchor (`card-N`) and its source's line are set by the page, so a card or a line added
    above does not change this chunk."""
    note = card.note
    where = note.location.path
    state = status.get(card.key)
    badge = f'<span class="pv-badge pv-{state}">{state}</span>' if state else ""
    body_class = f"card card{card.ordinal + 1}"
    return f"""<article class="pv-tile" data-card="{_attr(card.key)}">
<header class="pv-tile-head">
<h3 class="pv-title">{_text(card.title) or "(no heading)"}</h3>
<p class="pv-meta">{badge}<span class="pv-kind">{card.kind}</span>
<span class="pv-loc" title="source of the card" data-path="{_attr(where)}">{_text(where)}</span>
<span class="pv-id" title="identity; the note's GUID is {_attr(note.guid)}">\
{_text(note.identity)}</span>
<code class="pv-guid" title="GUID: Anki matches notes by it">{_text(note.guid)}</code></p>
</header>
<div class="pv-faces">
<section class="pv-face pv-front" aria-label="front"><p class="pv-face-label">Front</p>
<div class="{body_class}">{card.shown_question}</div></section>
<section class="pv-face pv-back" aria-label="back"><p class="pv-face-label">Back</p>
<div class="{body_class}">{card.shown_answer}</div></section>
</div>
</article>"""


def _text(value: str) -> str:
    return html.escape(value, quote=False)


def _attr(value: str) -> str:
    return html.escape(value, quote=True)
