"""`--changed-since REF`: which cards are new or changed since a git revision.

The notes of REF are built from a copy of its tree (revisions.py) exactly as the working tree's
are, and the two decks compared card by card: a card is new when its note and number did not
exist, changed when its question or answer HTML differ or its note's fields, tags or deck do.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import click

from ..build import read_notes
from ..config import Config
from ..diff import contents_from_notes
from ..errors import Diagnostics
from ..model import RenderedNote
from ..revisions import checkout_revision, repository_root
from .cards import PreviewCard, preview_cards


@dataclass(frozen=True)
class Changes:
    status: dict[str, str]  # card key -> "new" | "changed"; unchanged cards are absent
    removed: tuple[str, ...]  # headings of the notes REF has and the working tree has not


def changes_since(
    ref: str,
    config: Config,
    sources: Sequence[Path],
    notes: Sequence[RenderedNote],
    cards: Sequence[PreviewCard],
) -> Changes:
    """Compare the cards of `notes` with those the same sources had at git revision `ref`."""
    with tempfile.TemporaryDirectory(prefix="ankigen-preview-") as folder:
        old_notes = _notes_at(ref, config, sources, Path(folder))
    old_cards = {card.key: card for card in preview_cards(old_notes)}
    old, new = contents_from_notes(old_notes).notes, contents_from_notes(notes).notes
    status = {}
    for card in cards:
        before = old_cards.get(card.key)
        if before is None:
            status[card.key] = "new"
        elif (before.question, before.answer) != (card.question, card.answer) or (
            old.get(card.note.guid) != new[card.note.guid]
        ):
            status[card.key] = "changed"
    removed = tuple(note.heading for guid, note in old.items() if guid not in new)
    return Changes(status, removed)


def _notes_at(
    ref: str, config: Config, sources: Sequence[Path], folder: Path
) -> list[RenderedNote]:
    """The notes the sources held at `ref`; problems in that old version are not reported."""
    start = next((p if p.is_dir() else p.parent for p in sources if p.exists()), Path.cwd())
    try:
        top = repository_root(start)
    except ValueError as exc:
        raise click.ClickException(f"--changed-since: {exc}") from exc
    tree = folder / "tree"

    def moved(path: Path) -> Path:
        try:
            return tree / path.resolve().relative_to(top)
        except ValueError as exc:
            raise click.ClickException(
                f"--changed-since: {path} is outside the git repository {top}"
            ) from exc

    wanted = [moved(path).relative_to(tree).as_posix() for path in sources]
    with contextlib.suppress(click.ClickException):
        wanted.append(moved(config.source).relative_to(tree).as_posix())
    try:  # only the notes and their pictures, as `diff --against` takes them
        checkout_revision(start, ref, tree, wanted)
    except ValueError as exc:
        raise click.ClickException(f"--changed-since: {exc}") from exc

    old_sources = [old for old in map(moved, sources) if old.exists()]
    if not old_sources:
        return []  # the notes are all new
    try:
        old_root = moved(config.source)
    except click.ClickException:
        old_root = config.source
    old_config = replace(config, source=old_root, output=config.output.resolve())
    return read_notes(old_config, old_sources, Diagnostics())
