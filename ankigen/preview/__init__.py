"""`ankigen preview`: every card as Anki will show it, in one self-contained folder.

The pipeline reads the notes as `build` does; each card's question and answer are rendered with
the deck's own note type templates (templates.py, Anki's renderer reimplemented) and shown in a
page with the note types' CSS, MathJax and the media copied beside it.
"""

from __future__ import annotations

import hashlib
import time
import webbrowser
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import click

from ..config import Config
from ..errors import Diagnostics, print_diagnostics
from .cards import PreviewCard, preview_cards
from .page import PageInfo, render_page

__all__ = ["Preview", "PreviewCard", "build_preview", "preview_cards", "run_preview"]


@dataclass(frozen=True)
class Preview:
    """A written preview: its page and the cards on it."""

    index: Path
    cards: tuple[PreviewCard, ...]
    info: PageInfo


def run_preview(
    config: Config,
    sources: Sequence[Path],
    output_dir: Path,
    diagnostics: Diagnostics,
    *,
    changed_since: str | None,
    open_browser: bool,
    serve: bool,
    port: int,
) -> int:
    """The `preview` command: 0 when written, 1 when the notes have errors (nothing written)."""
    preview = build_preview(config, sources, output_dir, diagnostics, changed_since=changed_since)
    if preview is None:
        click.echo("ankigen: the notes have errors; no preview was written", err=True)
        return 1
    click.echo(_summary(preview))
    if not serve:
        if open_browser:
            webbrowser.open(preview.index.resolve().as_uri())
        return 0
    from .serve import serve as serve_folder

    print_diagnostics(diagnostics)  # now, not after the server stops
    diagnostics.items.clear()

    def rebuild() -> None:
        started = time.monotonic()
        fresh = Diagnostics()
        try:
            rebuilt = build_preview(config, sources, output_dir, fresh, changed_since=changed_since)
        except click.ClickException as exc:
            click.echo(f"ankigen: {exc.format_message()}", err=True)
            return
        print_diagnostics(fresh)
        if rebuilt is None:
            click.echo("ankigen: the notes have errors; the last good preview stays", err=True)
        else:
            click.echo(f"{_summary(rebuilt)} ({time.monotonic() - started:.1f} s)")

    return serve_folder(output_dir, port, sources, rebuild, open_browser=open_browser)


def build_preview(
    config: Config,
    sources: Sequence[Path],
    output_dir: Path,
    diagnostics: Diagnostics,
    *,
    changed_since: str | None = None,
) -> Preview | None:
    """Read, render and write the preview; None (and nothing written) when a note has errors."""
    from ..build import read_notes
    from .folder import write_folder

    notes = read_notes(config, sources, diagnostics)
    if diagnostics.failed():
        return None
    cards = preview_cards(notes)
    decks = dict.fromkeys(note.deck.split("::")[0] for note in notes)
    info = PageInfo(title=" · ".join(decks) or "ankigen preview", build_id="")
    if changed_since is not None:
        from .changes import changes_since

        changes = changes_since(changed_since, config, sources, notes, cards)
        cards = [card for card in cards if card.key in changes.status]
        info = replace(
            info, changed_since=changed_since, status=changes.status, removed=changes.removed
        )
    # the build id is the page's own digest: a served page reloads when, and only when, it changes
    digest = hashlib.sha256(render_page(cards, info).encode()).hexdigest()[:16]
    info = replace(info, build_id=digest)
    shown = {card.note.guid for card in cards}
    media = {m.name: m for note in notes if note.guid in shown for m in note.media}
    index = write_folder(output_dir, render_page(cards, info), info.build_id, media.values())
    return Preview(index, tuple(cards), info)


def _summary(preview: Preview) -> str:
    cards = len(preview.cards)
    notes = len({card.note.guid for card in preview.cards})
    since = preview.info.changed_since
    what = f" added or changed since {since}" if since is not None else ""
    counted = f"{cards} card{'s' * (cards != 1)}{what}, from {notes} note{'s' * (notes != 1)}"
    return f"{preview.index}: {counted}"
