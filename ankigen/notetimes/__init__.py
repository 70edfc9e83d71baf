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
release by release to the oldest, and reads each file version it compares once (cards.py splits,
repository.py reads git).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..config import CONFIG_FILES
from ..fingerprint import code_fingerprint  # a walk made by other code is stale
from ..model import SourceFile
from ..sources import run_git
from ..storage import read_regular, seal, unseal, write_atomically
from .cards import (
    WHOLE_FILE,
    CardText,
    Key,
    explicit_id,
    pictures_in,
    settings_text,
    split_cards,
    whole_digest,
)
from .repository import (
    Repository,
    Version,
    blob_id,
    changes_in,
    digests,
    file_blob,
    first_parent_chain,
    history_paths,
    is_note,
    releases_in,
    settings_at,
    undo,
    working_config,
)

__all__ = ["RENDERING_CHANGED", "NoteTimes", "explicit_id", "note_times", "split_cards"]

# When ankigen last changed the HTML it makes of unchanged notes: every note is at least this
# new, so the first build with a changed renderer delivers the new HTML once. Move it to the
# day of the change (tests/test_note_times.py holds a digest of the seed's fields beside it).
RENDERING_CHANGED = 1795970169  # pictures drawn for phones: 3.6 x 2.4 in, text of 8 points at least

# file -> card -> (its digest at HEAD, its time, its heading's line at HEAD)
History = dict[str, dict[Key, tuple[str, int, int]]]


@dataclass(frozen=True)
class NoteTimes:
    """The times worked out from history: by card, and by file for the cards it could not
    follow. Files it has no time for are not in git's HEAD (or not in the notes folder)."""

    cards: dict[tuple[Path, int], int]  # (file, heading line) -> time
    files: dict[Path, int]


def note_times(
    files: Sequence[SourceFile],
    project: Path,
    notes: Path,
    release_tags: str,
    epoch: int | None,
    cache_folder: Path | None = None,
) -> NoteTimes:
    """The time of each card of `files`, by (file, heading line), as the module doc says.

    Cards it cannot follow (a file outside the repository or reached through a link, a heading
    it cannot see, content not committed) are left out: they take their file's time. The walk
    through history is kept in `cache_folder` for the commit and tags it was made for.
    """
    top_text = run_git(project, "rev-parse", "--show-toplevel")
    if top_text is None or not files:
        return NoteTimes({}, {})
    top = Path(top_text.strip()).resolve()
    root = notes.resolve()
    try:
        notes_rel = root.relative_to(top).as_posix()
        project_rel = project.resolve().relative_to(top).as_posix()
    except ValueError:
        return NoteTimes({}, {})
    repository = Repository(top)
    head = repository.git("rev-parse", "--verify", "-q", "HEAD^{commit}")
    tags = repository.git(
        "for-each-ref",
        "--format=%(objectname) %(*objectname) %(creatordate:unix)",
        f"refs/tags/{release_tags}",
    )
    if head is None or tags is None:
        return NoteTimes({}, {})
    prefix = "" if notes_rel == "." else notes_rel + "/"
    config_paths = [posixpath.normpath(posixpath.join(project_rel, n)) for n in CONFIG_FILES]
    cache_key = hashlib.sha256(
        "\x1f".join((code_fingerprint(), head, tags, prefix, *config_paths)).encode()
    ).hexdigest()
    kept = cache_folder / f"note-times-{_short(prefix)}.json" if cache_folder else None
    history = _cached(kept, cache_key)
    if history is None:
        try:
            history = _history(repository, head.strip(), releases_in(tags), prefix, config_paths)
        finally:
            repository.close()
        _keep(kept, cache_key, history)

    # The working tree: a card shows what HEAD's does, or its content is not committed.
    config_name, config_text = working_config(project)
    settings = settings_text(config_text, config_name)
    working: dict[str, SourceFile] = {}
    for source in files:
        folder = source.path.parent.resolve()
        if not source.path.is_symlink() and folder.is_relative_to(root):
            working[(folder / source.path.name).relative_to(root).as_posix()] = source
    times = NoteTimes({}, {})

    def at(when: int) -> int:
        when = max(when, RENDERING_CHANGED)
        return when if epoch is None else min(when, epoch)

    pictures: dict[str, str] = {}  # the working tree's, read once
    changed = {}
    for relative, source in working.items():
        at_head = history.get(relative)
        if at_head is None:  # not in HEAD: untracked, or in a repository of its own
            continue
        for picture in pictures_in(source.text, relative):
            if picture not in pictures:
                pictures[picture] = file_blob(root / picture)
        whole = whole_digest(source.text, relative, settings, pictures)
        if at_head.get(WHOLE_FILE, ("",))[0] != whole:
            changed[relative] = source
            continue
        for key, (_, when, line) in at_head.items():  # as committed: HEAD's cards, no split
            if key == WHOLE_FILE:
                times.files[source.path] = at(when)
            else:
                times.cards[(source.path, line)] = at(when)
    version = Version(dict(pictures), settings)
    cards: dict[str, list[CardText]] = {}
    for relative, source in changed.items():
        blob = blob_id(source.text)
        repository.known(blob, source.text)
        version.blobs[relative] = blob
        cards[relative] = repository.cards(blob, relative, settings)
    for picture in {p for found in cards.values() for card in found for p in card.pictures}:
        version.blobs.setdefault(picture, file_blob(root / picture))
    target = digests(version, repository, [rel for rel in changed if is_note(rel)])
    for relative, found in target.items():
        at_head = history[relative]
        source = working[relative]
        lines = {card.key: card.line for card in cards[relative]}
        for key, digest in found.items():
            known = at_head.get(key)
            if digest is None or known is None or known[0] != digest:
                when = source.modified  # not committed: SOURCE_DATE_EPOCH or the file's time
            else:
                when = at(known[1])
            if key == WHOLE_FILE:
                times.files[source.path] = when
            else:
                times.cards[(source.path, lines[key])] = when
    return times


def _history(
    repository: Repository,
    head: str,
    releases: dict[str, int],
    prefix: str,
    config_paths: list[str],
) -> History:
    """Every card of HEAD with its digest and the time its content has had since: the oldest
    release in the run of first-parent versions that show it as HEAD does, else the oldest
    commit in that run."""
    listing = repository.git(
        "ls-tree", "-r", "-z", "--full-tree", head, "--", *history_paths(prefix, config_paths)
    )
    chain_text = repository.git("rev-list", "--first-parent", "--format=%ct", head)
    if listing is None or chain_text is None:
        return {}
    blobs: dict[str, str] = {}
    config_blobs: dict[str, str] = {}
    for entry in listing.split("\0"):
        meta, _, path = entry.partition("\t")
        parts = meta.split()
        if len(parts) != 3 or parts[1] != "blob":
            continue
        if path in config_paths:
            config_blobs[path] = parts[2]
        elif path.startswith(prefix):
            blobs[path[len(prefix) :]] = parts[2]
    version = Version(blobs, settings_at(repository, config_blobs, config_paths))
    at_head_blobs, at_head_settings = dict(blobs), version.settings  # the walk changes version
    note_files = [rel for rel in blobs if is_note(rel)]
    repository.prefetch(blobs[rel] for rel in note_files)
    at_head = digests(version, repository, note_files)
    chain = first_parent_chain(chain_text)
    # For each place in the walk, the time of the oldest release at or after it (towards HEAD).
    release_upto: list[int | None] = []
    for commit, _ in chain:
        release_upto.append(releases.get(commit, release_upto[-1] if release_upto else None))
    at_releases = [i for i, (commit, _) in enumerate(chain) if commit in releases]
    oldest_release = at_releases[-1] if at_releases else None
    changes = changes_in(repository, head, prefix, config_paths) if chain else {}
    waiting = {  # the cards whose run of versions equal to HEAD's goes on, by file
        rel: {key: digest for key, digest in found.items() if digest is not None}
        for rel, found in at_head.items()
    }
    left = sum(len(cards) for cards in waiting.values())
    ended: dict[tuple[str, Key], int] = {}  # card -> the oldest place of its run
    last = len(chain) - 1
    # Commit by commit back to the newest release; past it only the releases matter (what a
    # student could have imported), so versions are compared at release commits alone.
    newest_release = at_releases[0] if at_releases else last
    pending: set[str] = set()  # files changed since the last comparison
    pictures: set[str] = set()
    for position, (commit, _) in enumerate(chain):
        if position == oldest_release or not left:
            last = position  # past the oldest release, no time can change
            break
        changed = changes.get(commit)
        if changed:
            touched = undo(version, changed, prefix, config_paths, config_blobs)
            if touched is None:  # the settings changed: every card's context did
                version.settings = settings_at(repository, config_blobs, config_paths)
                touched = set(note_files)
            pictures |= {rel for rel in touched if not is_note(rel)}
            pending |= {rel for rel in touched if waiting.get(rel)}
        parent = position + 1
        if parent < len(chain) and parent > newest_release and chain[parent][0] not in releases:
            continue  # not a version anyone imported
        if pictures:
            pending |= {
                rel
                for rel, cards in waiting.items()
                if cards
                and rel in version.blobs
                and any(
                    p in pictures
                    for card in repository.cards(version.blobs[rel], rel, version.settings)
                    for p in card.pictures
                )
            }
        repository.prefetch(version.blobs[rel] for rel in pending if rel in version.blobs)
        before = digests(version, repository, pending)
        for rel in pending:
            cards, now = waiting[rel], before[rel]
            for key in [key for key, digest in cards.items() if now.get(key) != digest]:
                ended[(rel, key)] = position
                del cards[key]
                left -= 1
        pending, pictures = set(), set()
        repository.forget(keep={*version.blobs.values(), *at_head_blobs.values()})
    history: History = {}
    for rel, found in at_head.items():
        cards = repository.cards(at_head_blobs[rel], rel, at_head_settings)
        lines = {card.key: card.line for card in cards}
        for key, digest in found.items():
            if digest is not None:
                position = ended.get((rel, key), last)
                when = release_upto[position] or chain[position][1]
                history.setdefault(rel, {})[key] = (digest, when, lines.get(key, 0))
    return history


def _short(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _cached(path: Path | None, key: str) -> History | None:
    """The walk kept for this commit and these tags, if this machine sealed it."""
    if path is None:
        return None
    try:
        data = unseal(read_regular(path))
        record = json.loads(data) if data else None
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("key") != key:
        return None
    return {
        rel: {tuple(key): (digest, when, line) for key, digest, when, line in cards}
        for rel, cards in record["files"].items()
    }


def _keep(path: Path | None, key: str, history: History) -> None:
    if path is None:
        return
    files = {
        rel: [[list(card), digest, when, line] for card, (digest, when, line) in cards.items()]
        for rel, cards in history.items()
    }
    sealed = seal(json.dumps({"key": key, "files": files}, sort_keys=True).encode())
    if sealed is not None:
        with contextlib.suppress(OSError):  # without it, the next build walks again
            write_atomically(path, sealed)
