"""`ankigen preview`: every card as Anki will show it, in one self-contained folder.

The pipeline reads the notes as `build` does; each card's question and answer are rendered with
the deck's own note type templates (templates.py, Anki's renderer reimplemented) and shown in a
page with the note types' CSS, MathJax and the media copied beside it.

`build_preview` writes it and returns what it wrote; serve.py serves it and watches the notes.
The command itself (what is printed, the exit status) is cli.py's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..config import Config
from ..context import Context
from ..errors import Diagnostics
from ..plural import counted
from .cards import PreviewCard, let_go, preview_cards
from .chunks import Chunk, Row, plan_chunks, render_chunk, search_index
from .memo import ChunkMemo
from .page import PageInfo, all_decks, deck_tree, page_rows, render_page

__all__ = [
    "Preview",
    "PreviewCard",
    "PreviewError",
    "build_preview",
    "preview_cards",
    "summary",
]


class PreviewError(Exception):
    """The preview cannot be made or served: its folder cannot be written, MathJax is missing,
    the notes of the `--changed-since` revision cannot be read, or the port is taken. The
    message says why."""


@dataclass(frozen=True)
class Preview:
    """A written preview: its page and the cards on it."""

    index: Path
    cards: tuple[PreviewCard, ...]
    info: PageInfo


def build_preview(
    config: Config,
    sources: Sequence[Path],
    output_dir: Path,
    diagnostics: Diagnostics,
    *,
    changed_since: str | None = None,
    context: Context | None = None,
    served: bool = False,
) -> Preview | None:
    """Read, render and write the preview; None (and nothing written) when a note has errors.

    With `changed_since`, only the cards added or changed since that git revision. `served`
    (`--serve`): more is kept for the next call, which is quicker for it. Raises PreviewError
    when it cannot be made. The `context` is the process's unless given."""
    context = context or Context.from_environment()
    return _write(config, sources, output_dir, diagnostics, changed_since, context, served)


def _write(
    config: Config,
    sources: Sequence[Path],
    output_dir: Path,
    diagnostics: Diagnostics,
    changed_since: str | None,
    context: Context,
    served: bool,
) -> Preview | None:
    from ..build import read_notes
    from ..storage import Storage
    from .folder import write_folder

    notes = read_notes(config, sources, diagnostics, context=context)
    if diagnostics.failed():
        return None
    cards = preview_cards(notes, remember=served)
    decks = dict.fromkeys(note.deck.split("::")[0] for note in notes)
    info = PageInfo(title=" · ".join(decks) or "ankigen preview", build_id="")
    if changed_since is not None:
        from .changes import changes_since

        changes = changes_since(changed_since, config, sources, notes, cards, context)
        cards = [card for card in cards if card.key in changes.status]
        info = replace(
            info, changed_since=changed_since, status=changes.status, removed=changes.removed
        )
    tree = deck_tree(cards)
    storage = Storage.of(context)
    memo = ChunkMemo(config.output / ".cache", output_dir, storage)
    chunks = _chunks(page_rows(tree), info.status, memo)  # the memo is saved after the page
    index = search_index(chunks, [deck.anchor for deck in all_decks(tree)]) if chunks else None
    files = [chunk.file for chunk in chunks] + ([index] if index else [])
    # the build id is the digest of the page and its data: a served page updates when, and only
    # when, it changes
    digest = hashlib.sha256(render_page(tree, chunks, index, info).encode())
    digest.update(" ".join(file.name for file in files).encode())
    info = replace(info, build_id=digest.hexdigest()[:16])
    shown = {card.note.guid for card in cards}
    media = {m.name: m for note in notes if note.guid in shown for m in note.media}
    page = render_page(tree, chunks, index, info)
    index_html = write_folder(
        output_dir,
        page,
        info.build_id,
        files,
        media.values(),
        project=storage.project,
        now=context.clock(),
    )
    # The memo is saved after the page, which a served page is waiting for; the chunks' and
    # the index's bytes, and the cards' HTML, are let go first, for the peak memory of a big
    # deck's first run.
    del chunks, files, index, page
    let_go(cards)
    memo.save()
    return Preview(index_html, tuple(cards), info)


def _chunks(rows: Sequence[Row], status: dict[str, str], memo: ChunkMemo) -> list[Chunk]:
    """The page's chunks: those an earlier run wrote as they are, the others rendered."""
    chunks = []
    for first, part in plan_chunks(rows):
        key = memo.key(part, status)
        chunk = memo.get(key, first, part)
        if chunk is None:
            chunk = render_chunk(first, part, status)
            memo.put(key, chunk)
            let_go([row.card for row in part])  # their HTML is in the chunk now
        chunks.append(chunk)
    return chunks


def summary(preview: Preview) -> str:
    """The line printed for a written preview: where it is, and how many cards of how many
    notes it shows."""
    cards = len(preview.cards)
    notes = len({card.note.guid for card in preview.cards})
    since = preview.info.changed_since
    what = f" added or changed since {since}" if since is not None else ""
    return f"{preview.index}: {counted(cards, 'card')}{what}, from {counted(notes, 'note')}"
