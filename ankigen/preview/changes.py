"""`--changed-since REF`: which cards are new or changed since a git revision.

The notes of REF are built as `diff --against` builds them (`git.revision.notes_at_revision`):
from the same note files and folders as they were at REF, with REF's own settings, pictures
shared with the working tree's cache. The two decks are compared card by card: a card is new
when its note and number did not exist, changed when its question or answer HTML differ or
its note's fields, tags or deck do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..config import Config
from ..context import Context
from ..diff import contents_from_notes
from ..model import RenderedNote
from . import PreviewError
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
    context: Context,
) -> Changes:
    """Compare the cards of `notes` with those the same sources had at git revision `ref`, in
    the project of the context's working folder. Raises PreviewError when the notes of
    `ref` cannot be read."""
    old_notes = _notes_at(ref, config, sources, context)
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
    ref: str, config: Config, sources: Sequence[Path], context: Context
) -> list[RenderedNote]:
    """The notes the sources held at `ref`; problems in that old version are not reported."""
    from ..config import find_project
    from ..git.revision import notes_at_revision

    project = find_project(context.cwd)  # as the command found it, whose settings REF had too
    try:
        return notes_at_revision(ref, project, config.output, sources, context)
    except ValueError as exc:
        raise PreviewError(f"--changed-since: {exc}") from exc
