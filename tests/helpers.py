"""Small helpers to run single stages on text, without the CLI."""

from __future__ import annotations

import textwrap
from pathlib import Path

from ankigen.config import Config
from ankigen.context import Context
from ankigen.errors import Diagnostics
from ankigen.model import Card, RenderedNote, SourceFile
from ankigen.parse import parse_file
from ankigen.render import render_cards
from ankigen.storage import Storage


def source(text: str, root: Path = Path("/notes"), name: str = "deck.md") -> SourceFile:
    return SourceFile(root / name, root, name, textwrap.dedent(text).lstrip("\n"), 1_700_000_000)


def parse(
    text: str, config: Config | None = None, **kwargs: object
) -> tuple[list[Card], Diagnostics]:
    diagnostics = Diagnostics()
    cards = parse_file(source(text, **kwargs), config or Config(), diagnostics)  # type: ignore[arg-type]
    return cards, diagnostics


def render(
    text: str, allow_html: bool = False, cache_dir: Path = Path("/nonexistent"), **kwargs: object
) -> tuple[list[RenderedNote], Diagnostics]:
    diagnostics = Diagnostics()
    config = Config(allow_html=allow_html)
    cards = parse_file(source(text, **kwargs), config, diagnostics)  # type: ignore[arg-type]
    context = Context.from_environment()
    notes = render_cards(cards, config, cache_dir, diagnostics, Storage.of(context), context.jobs)
    return notes, diagnostics


def messages(diagnostics: Diagnostics) -> list[str]:
    return [str(d) for d in diagnostics]
