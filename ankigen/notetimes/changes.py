"""What the notes' history changed: the first-parent line of commits, each commit's changes
and each release's since the one before, and undoing them to step back a version."""

from __future__ import annotations

import itertools

from .repository import EMPTY_BLOB, Repository, Version, history_paths


def releases_in(listed: str) -> dict[str, int]:
    """The commit of each release tag, with the time of its first release (the tag's date)."""
    releases: dict[str, int] = {}
    for line in listed.splitlines():
        parts = line.split()
        if len(parts) == 3:  # an annotated tag: its own id, its commit's, its date
            commit, when = parts[1], int(parts[2])
        elif len(parts) == 2:  # a lightweight tag: its commit and the commit's date
            commit, when = parts[0], int(parts[1])
        else:
            continue
        releases[commit] = min(when, releases.get(commit, when))
    return releases


def first_parent_chain(text: str) -> list[tuple[str, int]]:
    chain, commit = [], ""
    for line in text.splitlines():
        if line.startswith("commit "):
            commit = line.split()[1]
        elif line.strip().isdigit() and commit:
            chain.append((commit, int(line)))
            commit = ""
    return chain


def changes_in(
    repository: Repository, head: str, prefix: str, config_paths: list[str], since: str | None
) -> Changes:
    """For each first-parent commit after `since` up to `head` that touches the notes or the
    settings: what it changed."""
    return _changes(
        repository.git(
            "log",
            "--first-parent",
            "--diff-merges=first-parent",
            *_RAW,
            head,
            *([f"^{since}"] if since else []),
            "--",
            *history_paths(prefix, config_paths),
        )
    )


def changes_between(
    repository: Repository, commits: list[str], prefix: str, config_paths: list[str]
) -> Changes:
    """For each of `commits` (newest first) but the last, what changed since the next one: one
    diff per pair, all from one git process."""
    pairs = "".join(f"{newer} {older}\n" for newer, older in itertools.pairwise(commits))
    if not pairs:
        return {}
    return _changes(
        repository.git(
            "diff-tree", "--stdin", *_RAW, "--", *history_paths(prefix, config_paths), given=pairs
        )
    )


# (path, old blob, new blob) for each file a change touched
Changes = dict[str, list[tuple[str, str, str]]]
_RAW = ("-r", "--raw", "-z", "--no-abbrev", "--no-renames", "--format=%x01%H")


def _changes(text: str | None) -> Changes:
    changes: Changes = {}
    for block in (text or "").split("\x01")[1:]:
        commit, _, rest = block.partition("\0")
        commit = commit.strip()
        fields = rest.lstrip("\n").split("\0")
        found = []
        for i in range(0, len(fields) - 1, 2):
            meta, path = fields[i].lstrip("\n"), fields[i + 1]
            parts = meta.split()
            if len(parts) >= 5 and parts[0].startswith(":"):
                found.append((path, parts[2], parts[3]))
        changes[commit] = found
    return changes


def undo(
    version: Version,
    changed: list[tuple[str, str, str]],
    prefix: str,
    config_paths: list[str],
    config_blobs: dict[str, str],
) -> set[str] | None:
    """Turn `version` into its parent's by undoing one commit's changes; the files it touched
    (inside the notes folder), or None when the settings changed."""
    touched: set[str] = set()
    settings_changed = False
    for path, old, _new in changed:
        if path in config_paths:
            if old == EMPTY_BLOB:
                config_blobs.pop(path, None)
            else:
                config_blobs[path] = old
            settings_changed = True
        elif path.startswith(prefix):
            relative = path[len(prefix) :]
            if old == EMPTY_BLOB:
                version.blobs.pop(relative, None)
            else:
                version.blobs[relative] = old
            touched.add(relative)
    return None if settings_changed else touched
