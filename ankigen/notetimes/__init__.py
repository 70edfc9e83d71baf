"""The time each note carries into Anki, worked out from the notes' git history.

Anki updates a note on import only when the incoming note is newer than its copy, and then
replaces the copy's fields and tags wholesale. So a note's time must move exactly when what it
shows changes, and to a time later than a student's import of the release before: a note keeps
the time of the first release (a tag matching `release_tags`) that shipped its current content;
content no release holds yet has the time of the commit that brought it; content not committed
has SOURCE_DATE_EPOCH, else its file's modification time. SOURCE_DATE_EPOCH clamps all of them.

Nothing here renders: each version of a note file is split into cards by its headings, and a
card's content is a digest of its own lines with everything it shows from outside them (front
matter, section path, link definitions, its file's path, the settings, its pictures' blobs).
The walk goes back along the first-parent history commit by commit to the newest release, then
release by release to the oldest, and reads each file version it compares once: walk.py walks,
cards.py splits (resplit.py from the version before), changes.py and repository.py read git,
kept.py keeps the walk for the next build.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..config import CONFIG_FILES
from ..fingerprint import code_fingerprint  # a walk made by other code is stale
from ..git import run_git
from ..model import SourceFile
from ..storage import Storage
from .cards import (
    WHOLE_FILE,
    CardText,
    explicit_id,
    pictures_in,
    settings_text,
    split_cards,
    whole_digest,
)
from .changes import releases_in
from .kept import History, keep, read_cards, read_kept
from .repository import Repository, Version, blob_id, digests, file_blob, is_note, working_config
from .walk import walk

__all__ = ["RENDERING_CHANGED", "NoteTimes", "explicit_id", "note_times", "split_cards"]

# When ankigen last changed the HTML it makes of unchanged notes: every note is at least this
# new, so the first build with a changed renderer delivers the new HTML once. Move it to the
# day of the change (tests/test_note_times.py holds a digest of the seed's fields beside it).
RENDERING_CHANGED = 1795970169  # pictures drawn for phones: 3.6 x 2.4 in, text of 8 points at least


@dataclass(frozen=True)
class NoteTimes:
    """The times worked out from history: by card, and by file for the cards it could not
    follow. Files it has no time for are not in git's HEAD (or not in the notes folder)."""

    cards: dict[Path, dict[int, int]]  # file -> heading line -> time
    files: dict[Path, int]


def note_times(
    files: Sequence[SourceFile],
    project: Path,
    notes: Path,
    release_tags: str,
    epoch: int | None,
    storage: Storage,
    cache_folder: Path | None = None,
) -> NoteTimes:
    """The time of each card of `files`, by (file, heading line), as the module doc says.

    Cards it cannot follow (a file outside the repository or reached through a link, a heading
    it cannot see, content not committed) are left out: they take their file's time. The walk
    through history is kept in `cache_folder` for the commit and tags it was made for, as
    `storage` says.
    """
    # The top folder and HEAD from one git: every build of a git project waits for it.
    located = run_git(project, "rev-parse", "--show-toplevel", "--verify", "-q", "HEAD^{commit}")
    tags = run_git(
        project,
        "for-each-ref",
        "--format=%(objectname) %(*objectname) %(creatordate:unix)",
        f"refs/tags/{release_tags}",
    )
    if located is None or tags is None or len(located.split("\n")) != 3 or not files:
        return NoteTimes({}, {})  # not in a repository, or one with no commit yet
    top_text, head, _ = located.split("\n")
    top = Path(top_text).resolve()
    root = notes.resolve()
    try:
        notes_rel = root.relative_to(top).as_posix()
        project_rel = project.resolve().relative_to(top).as_posix()
    except ValueError:
        return NoteTimes({}, {})
    repository = Repository(top)
    prefix = "" if notes_rel == "." else notes_rel + "/"
    config_paths = [posixpath.normpath(posixpath.join(project_rel, n)) for n in CONFIG_FILES]
    cache_key = hashlib.sha256(
        "\x1f".join((code_fingerprint(), head, tags, prefix, *config_paths)).encode()
    ).hexdigest()
    short = hashlib.sha256(prefix.encode()).hexdigest()[:12]
    kept = cache_folder / f"note-times-{short}.json" if cache_folder else None
    history = read_kept(kept, cache_key, storage)

    def walked() -> History:
        try:
            found = walk(repository, head, releases_in(tags), prefix, config_paths)
        finally:
            repository.close()
        keep(kept, cache_key, found, storage)
        return found

    history = history if history is not None else walked()
    # The working tree: a card shows what HEAD's does, or its content is not committed.
    config_name, config_text = working_config(project)
    settings = settings_text(config_text, config_name)
    working: dict[str, SourceFile] = {}
    for source in files:
        folder = source.path.parent.resolve()
        if not source.path.is_symlink() and folder.is_relative_to(root):
            working[(folder / source.path.name).relative_to(root).as_posix()] = source
    floor, ceiling = RENDERING_CHANGED, epoch if epoch is not None else 1 << 62
    times = NoteTimes({}, {})
    pictures: dict[str, str] = {}  # the working tree's, read once
    changed = {}
    for relative, source in working.items():
        at_head = history.get(relative)
        if at_head is None:  # not in HEAD: untracked, or in a repository of its own
            continue
        shown = pictures_in(source.text, relative)
        for picture in shown:
            if picture not in pictures:
                pictures[picture] = file_blob(root / picture)
        whole = whole_digest(source.text, relative, settings, pictures, shown)
        if at_head.whole is None or at_head.whole[0] != whole:
            changed[relative] = source
            continue
        times.files[source.path] = min(max(at_head.whole[1], floor), ceiling)
        # As committed: HEAD's cards, no split.
        times.cards[source.path] = _clamped(at_head.lines, floor, ceiling)
    if changed and not read_cards(kept, cache_key, history, storage):
        history = walked()  # what was kept has lost its cards
    version = Version(dict(pictures), settings)
    cards: dict[str, list[CardText]] = {}
    for relative, source in changed.items():
        blob = blob_id(source.text)
        repository.known(blob, source.text)
        version.blobs[relative] = blob
        cards[relative] = repository.cards(blob, relative, settings)
    for picture in {p for split in cards.values() for card in split for p in card.pictures}:
        version.blobs.setdefault(picture, file_blob(root / picture))
    target = digests(version, repository, [rel for rel in changed if is_note(rel)])
    for relative, found in target.items():
        at_head = history[relative]
        source = working[relative]
        lines_of = {card.key: card.line for card in cards[relative]}
        for key, digest in found.items():
            known = at_head.whole if key == WHOLE_FILE else (at_head.cards or {}).get(key)
            if digest is None or known is None or known[0] != digest:
                when = source.modified  # not committed: SOURCE_DATE_EPOCH or the file's time
            else:
                when = min(max(known[1], floor), ceiling)
            if key == WHOLE_FILE:
                times.files[source.path] = when
            else:
                times.cards.setdefault(source.path, {})[lines_of[key]] = when
    return times


def _clamped(lines: list[int], floor: int, ceiling: int) -> dict[int, int]:
    """Heading line -> time, from lines and times one after the other, each time brought
    within [floor, ceiling] as `min(max(time, floor), ceiling)`; whole files at a time where
    they can be, since every build of an unchanged deck does this for every card."""
    at, when = lines[::2], lines[1::2]
    if not when:
        return {}
    low, high = min(when), max(when)
    if high <= floor:
        return dict.fromkeys(at, min(floor, ceiling))
    if low >= ceiling:
        return dict.fromkeys(at, ceiling)
    if low >= floor and high <= ceiling:
        return dict(zip(at, when, strict=True))
    return {line: min(max(time, floor), ceiling) for line, time in zip(at, when, strict=True)}
