"""A written preview read back as one HTML text: the page with each chunk's cards put in its
placeholder, as the page's script puts them, and the filter's index. For tests that look for
what the author sees in the files rather than in a browser."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

_PLACEHOLDER = re.compile(r'(<div class="pv-chunk" data-src="([^"]+)"[^>]*>)(</div>)')
_SOURCE = re.compile(r'(<span class="pv-loc"[^>]*>)([^<]*)</span>')
_DATA = re.compile(r'^ankigenPreview\.(chunk|index)\("([0-9a-f]+)",(.*)\);\n$', re.DOTALL)


def data_file(path: Path) -> tuple[str, Any]:
    """What a data file hands the page: "chunk" and its HTML, or "index" and its data. The
    file must be named after the digest it carries."""
    match = _DATA.match(path.read_text(encoding="utf-8"))
    assert match, f"{path} is not a preview data file"
    assert path.name == f"{match.group(2)}.js", path
    return match.group(1), json.loads(match.group(3))


def page_with_cards(folder: Path) -> str:
    """index.html with every chunk's cards in its placeholder."""
    page = (folder / "index.html").read_text(encoding="utf-8")

    def fill(match: re.Match[str]) -> str:
        call, cards = data_file(folder / html.unescape(match.group(2)))
        assert call == "chunk"
        lines = iter(re.search(r'data-lines="([^"]*)"', match.group(1))[1].split())  # type: ignore[index]

        def at_line(place: re.Match[str]) -> str:  # the source's line, as the script sets it
            return f"{place.group(1)}{place.group(2)}:{next(lines)}</span>"

        cards = _SOURCE.sub(at_line, cards)
        assert next(lines, None) is None, "a line for every card"
        return f"{match.group(1)}{cards}{match.group(3)}"

    return _PLACEHOLDER.sub(fill, page)


def search_index(folder: Path) -> dict[str, Any]:
    """The filter's index: deck anchors, each card's deck number and search text."""
    page = (folder / "index.html").read_text(encoding="utf-8")
    match = re.search(r'<script defer src="(cards/[0-9a-f]+\.js)"></script>', page)
    assert match, "the page loads no search index"
    call, data = data_file(folder / match.group(1))
    assert call == "index"
    return dict(data)
