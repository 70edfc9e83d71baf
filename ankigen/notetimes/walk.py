"""The walk back through the notes' first-parent history that gives each card of HEAD the
time its content has had since: commit by commit to the newest release, then release by
release to the oldest, splitting each file version it compares once."""

from __future__ import annotations

from .cards import Key
from .changes import Changes, changes_between, changes_in, first_parent_chain, undo
from .kept import History, kept_file
from .repository import Repository, Version, digests, history_paths, is_note, settings_at


def walk(
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
    # Commit by commit back to the newest release; past it only the releases matter (what a
    # student could have imported), so versions are compared at release commits alone, each
    # turned into the one before by the diff between the two.
    newest_release = at_releases[0] if at_releases else len(chain)
    places = [*range(min(newest_release, len(chain))), *at_releases]
    changes: Changes = {}
    if chain:
        since = chain[newest_release][0] if at_releases else None
        changes = changes_in(repository, head, prefix, config_paths, since)
        release_commits = [chain[i][0] for i in at_releases]
        changes |= changes_between(repository, release_commits, prefix, config_paths)
    waiting = {  # the cards whose run of versions equal to HEAD's goes on, by file
        rel: {key: digest for key, digest in found.items() if digest is not None}
        for rel, found in at_head.items()
    }
    left = sum(len(cards) for cards in waiting.values())
    ended: dict[tuple[str, Key], int] = {}  # card -> the oldest place of its run
    last = len(chain) - 1
    for position in places:
        if position == oldest_release or not left:
            last = position  # past the oldest release, no time can change
            break
        changed = changes.get(chain[position][0])
        if not changed:
            continue
        touched = undo(version, changed, prefix, config_paths, config_blobs)
        if touched is None:  # the settings changed: every card's context did
            version.settings = settings_at(repository, config_blobs, config_paths)
            touched = set(note_files)
        pictures = {rel for rel in touched if not is_note(rel)}
        pending = {rel for rel in touched if waiting.get(rel)}
        if pictures:
            pending |= {
                rel
                for rel, cards in waiting.items()
                if cards and rel in version.blobs and _shows(repository, version, rel, pictures)
            }
        repository.prefetch(version.blobs[rel] for rel in pending if rel in version.blobs)
        before = digests(version, repository, pending, {rel: waiting[rel] for rel in pending})
        for rel in pending:
            cards, now = waiting[rel], before[rel]
            for key in [key for key, digest in cards.items() if now.get(key) != digest]:
                ended[(rel, key)] = position
                del cards[key]
                left -= 1
        repository.forget(keep={*version.blobs.values(), *at_head_blobs.values()})
    history: History = {}
    for rel, found in at_head.items():
        at_head_cards = repository.cards(at_head_blobs[rel], rel, at_head_settings)
        lines = {card.key: card.line for card in at_head_cards}
        timed: dict[Key, tuple[str, int, int]] = {}
        for key, digest in found.items():
            if digest is not None:
                position = ended.get((rel, key), last)
                when = release_upto[position] or chain[position][1]
                timed[key] = (digest, when, lines.get(key, 0))
        history[rel] = kept_file(timed)
    return history


def _shows(repository: Repository, version: Version, relative: str, pictures: set[str]) -> bool:
    """Whether a note file's version shows any of these pictures."""
    split = repository.split(version.blobs[relative], relative, version.settings)
    return any(not pictures.isdisjoint(shown) for shown in split.pictures)
