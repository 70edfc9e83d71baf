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
The walk goes back along the first-parent history only as far as the oldest release, and reads
each file version once.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import posixpath
import re
import subprocess
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .model import SourceFile
from .sources import run_git
from .storage import seal, unseal, write_atomically

# When ankigen last changed the HTML it makes of unchanged notes: every note is at least this
# new, so the first build with a changed renderer delivers the new HTML once. Move it to the
# day of the change (tests/test_note_times.py holds a digest of the seed's fields beside it).
RENDERING_CHANGED = 1795970169  # pictures drawn for phones: 3.6 x 2.4 in, text of 8 points at least

HEADER_ID = re.compile(r"\s*\{#([^}]*)\}\s*$")
# A line that opens a heading or a code fence (or closes a fence).
_BLOCK_LINE = re.compile(
    r"^ {0,3}(?:(#{1,6})(?:[ \t]+([^\n]*?))??(?:[ \t]+#+)?[ \t]*|(`{3,}|~{3,})([^\n]*))$", re.M
)
_FRONT_END = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.M)
_LINK_DEFINITION = re.compile(r" {0,3}\[([^\]]+)\]:")
_PICTURE = re.compile(
    r"!\[[^\]]*\]\(\s*<?([^)\s>]+)|<img\b[^>]*?\bsrc\s*=\s*[\"']?([^\"'\s>]+)", re.IGNORECASE
)
_FRONT_VALUE = re.compile(r"(deck|namespace)\s*:\s*(.*?)\s*$")
_SETTINGS = ("deck", "namespace", "allow_html", "code_language", "plot_format", "math")
_CONFIG_FILES = ("ankigen.toml", "pyproject.toml")  # as config.py looks for them
_EMPTY_BLOB = "0" * 40

Key = tuple[str, ...]  # what makes a card itself across versions: namespace and id or path


@dataclass(frozen=True)
class CardText:
    """A card as its note file's text has it, with the digest of everything it shows."""

    line: int  # 1-based, of its heading
    key: Key
    pictures: tuple[str, ...]  # paths inside the notes folder, as written
    digest: str  # of its text and context, before the pictures' contents are known


def split_cards(text: str, relative: str, settings: str) -> list[CardText]:
    """The cards of one version of a note file, by its `##`+ headings outside code fences."""
    start, front = 0, ""
    if text.startswith("---\n"):
        end = _FRONT_END.search(text, 3)
        if end is not None:
            start, front = end.end(), text[4 : end.start()].rstrip("\n")
    lines = text.split("\n")
    headings: list[tuple[int, int, str]] = []  # line index, level, text
    fence, line, position = "", text.count("\n", 0, start), start
    for match in _BLOCK_LINE.finditer(text, start):  # the scan is regex's, in C: history is long
        line += text.count("\n", position, match.start())
        position = match.start()
        marks = match[3]
        if fence:
            if marks and marks[0] == fence[0] and len(marks) >= len(fence) and not match[4].strip():
                fence = ""
        elif marks:
            fence = marks
        else:
            headings.append((line, len(match[1]), match[2] or ""))
    values = {}
    for line in front.split("\n"):
        pair = _FRONT_VALUE.fullmatch(line)
        if pair:
            values[pair[1]] = pair[2].strip("'\"")
    title = next((text for _, level, text in headings if level == 1), "")
    namespace = values.get("namespace") or _setting(settings, "namespace") or values.get("deck")
    namespace = namespace or _setting(settings, "deck") or title or posixpath.basename(relative)
    definitions = {
        match[1].lower(): line for line in lines if (match := _LINK_DEFINITION.match(line))
    }
    # Deck and namespace decide where a note goes and its GUID, not what it shows.
    shown_front = "\n".join(line for line in front.split("\n") if not _FRONT_VALUE.fullmatch(line))
    shown_settings = "\n".join(
        line for line in settings.split("\n") if not line.startswith(("deck=", "namespace="))
    )
    context = "\x1f".join((relative, shown_settings, shown_front))
    folder = posixpath.dirname(relative)
    cards, ancestors = [], []  # ancestors: (level, text) of the enclosing sections
    for position, (index, level, heading) in enumerate(headings):
        if level == 1:
            continue
        end = headings[position + 1][0] if position + 1 < len(headings) else len(lines)
        while ancestors and ancestors[-1][0] >= level:
            ancestors.pop()
        body = "\n".join(lines[index:end]).rstrip()
        explicit = HEADER_ID.search(heading)
        path = tuple(text for _, text in ancestors)
        key = (namespace, "#", explicit[1]) if explicit else (namespace, *path, heading)
        pictures = tuple(
            posixpath.normpath(posixpath.join(folder, src.split("#")[0].split("?")[0]))
            for match in _PICTURE.finditer(body)
            for src in match.groups()
            if src and "://" not in src and not src.startswith("data:")
        )
        if definitions:  # only those the card refers to
            lowered = body.lower()
            used = "\n".join(line for label, line in definitions.items() if f"[{label}]" in lowered)
        else:
            used = ""
        content = "\x1e".join((context, "\x1d".join(path), body, used))
        digest = hashlib.sha256(content.encode()).hexdigest()
        cards.append(CardText(index + 1, key, pictures, digest))
        ancestors.append((level, heading))
    return cards


def _setting(settings: str, name: str) -> str:
    for line in settings.split("\n"):
        if line.startswith(f"{name}="):
            return line.partition("=")[2]
    return ""


def settings_text(config_text: str | None, name: str) -> str:
    """The settings that shape what notes show, from a config file's text, as one string."""
    try:
        data: Any = tomllib.loads(config_text or "")
    except (tomllib.TOMLDecodeError, UnicodeError):
        return "invalid"
    table = data.get("tool", {}).get("ankigen", {}) if name == "pyproject.toml" else data
    if not isinstance(table, dict):
        return "invalid"
    return "\n".join(f"{key}={table[key]}" for key in _SETTINGS if key in table)


@dataclass
class _Version:
    """Every note file of the notes folder at one commit, split, and its pictures' blobs."""

    blobs: dict[str, str]  # path inside the notes folder -> blob id, for every file there
    settings: str


class _Repository:
    def __init__(self, top: Path) -> None:
        self.top = top
        self._texts: dict[str, str] = {}
        self._cards: dict[tuple[str, str, str], list[CardText]] = {}

    def git(self, *args: str) -> str | None:
        return run_git(self.top, *args)

    def texts(self, blobs: Iterable[str]) -> None:
        """Read the given blobs into memory, in one git process."""
        wanted = sorted({b for b in blobs if b not in self._texts and b != _EMPTY_BLOB})
        if not wanted:
            return
        done = subprocess.run(
            ["git", "cat-file", "--batch"],
            cwd=self.top,
            input="\n".join(wanted).encode() + b"\n",
            capture_output=True,
            env=_git_env(),
            check=False,
        )
        data, offset = done.stdout, 0
        for blob in wanted:
            end = data.index(b"\n", offset)
            header = data[offset:end].split()
            if len(header) != 3:  # missing
                self._texts[blob] = ""
                offset = end + 1
                continue
            size = int(header[2])
            raw = data[end + 1 : end + 1 + size]
            offset = end + 1 + size + 1
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = ""
            self._texts[blob] = text.replace("\r\n", "\n").replace("\r", "\n")

    def known(self, blob: str, text: str) -> None:
        """A text not in the repository (the working tree's), under a blob id of its own."""
        self._texts[blob] = text

    def cards(self, blob: str, relative: str, settings: str) -> list[CardText]:
        key = (blob, relative, settings)
        if key not in self._cards:
            if blob not in self._texts:
                self.texts([blob])  # one by one only when not read ahead in a batch
            self._cards[key] = split_cards(self._texts.get(blob, ""), relative, settings)
        return self._cards[key]


def _git_env() -> dict[str, str]:
    return {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}


def _digests(
    version: _Version, repository: _Repository, files: Iterable[str]
) -> dict[str, dict[Key, str | None]]:
    """Each note file's cards: key -> the digest of what it shows, pictures included (None for
    a key used twice in the file, which has no one content)."""
    result: dict[str, dict[Key, str | None]] = {}
    for relative in files:
        blob = version.blobs.get(relative)
        found: dict[Key, str | None] = {}
        if blob is not None:
            for card in repository.cards(blob, relative, version.settings):
                digest = card.digest
                if card.pictures:
                    seen = [f"{p}={version.blobs.get(p, '-')}" for p in card.pictures]
                    digest = hashlib.sha256(f"{digest}\x1f{seen}".encode()).hexdigest()
                found[card.key] = None if card.key in found else digest
        result[relative] = found
    return result


def _is_note(relative: str) -> bool:
    return relative.endswith((".md", ".markdown")) and not any(
        part.startswith(".") for part in relative.split("/")
    )


History = dict[str, dict[Key, tuple[str, int]]]  # file -> card -> (digest at HEAD, its time)


def note_times(
    files: Sequence[SourceFile],
    project: Path,
    notes: Path,
    release_tags: str,
    epoch: int | None,
    cache_folder: Path | None = None,
) -> dict[tuple[Path, int], int]:
    """The time of each card of `files`, by (file, heading line), as the module doc says.

    Cards it cannot follow (a file outside the repository or reached through a link, a heading
    it cannot see, content not committed) are left out: they take their file's time. The walk
    through history is kept in `cache_folder` for the commit and tags it was made for.
    """
    top_text = run_git(project, "rev-parse", "--show-toplevel")
    if top_text is None or not files:
        return {}
    top = Path(top_text.strip()).resolve()
    root = notes.resolve()
    try:
        notes_rel = root.relative_to(top).as_posix()
        project_rel = project.resolve().relative_to(top).as_posix()
    except ValueError:
        return {}
    repository = _Repository(top)
    head = repository.git("rev-parse", "--verify", "-q", "HEAD^{commit}")
    tags = repository.git(
        "for-each-ref",
        "--format=%(objectname) %(*objectname) %(creatordate:unix)",
        f"refs/tags/{release_tags}",
    )
    if head is None or tags is None:
        return {}
    prefix = "" if notes_rel == "." else notes_rel + "/"
    config_paths = [posixpath.normpath(posixpath.join(project_rel, n)) for n in _CONFIG_FILES]
    cache_key = hashlib.sha256(
        "\x1f".join((_CODE, head, tags, prefix, *config_paths)).encode()
    ).hexdigest()
    history = _cached(cache_folder, cache_key)
    if history is None:
        history = _history(repository, head.strip(), _releases(tags), prefix, config_paths)
        _keep(cache_folder, cache_key, history)

    # The working tree: a card shows what HEAD's does, or its content is not committed.
    config_name, config_text = _working_config(project)
    settings = settings_text(config_text, config_name)
    working: dict[str, SourceFile] = {}
    for source in files:
        folder = source.path.parent.resolve()
        if not source.path.is_symlink() and folder.is_relative_to(root):
            working[(folder / source.path.name).relative_to(root).as_posix()] = source
    version = _Version({}, settings)
    cards: dict[str, list[CardText]] = {}
    for relative, source in working.items():
        blob = _blob_id(source.text)
        repository.known(blob, source.text)
        version.blobs[relative] = blob
        cards[relative] = repository.cards(blob, relative, settings)
    for picture in {p for found in cards.values() for card in found for p in card.pictures}:
        version.blobs.setdefault(picture, _file_blob(root / picture))
    target = _digests(version, repository, [rel for rel in working if _is_note(rel)])
    times: dict[tuple[Path, int], int] = {}
    for relative, found in target.items():
        at_head = history.get(relative, {})
        lines = {card.key: card.line for card in cards[relative]}
        for key, digest in found.items():
            known = at_head.get(key)
            if digest is None or known is None or known[0] != digest:
                continue
            when = max(known[1], RENDERING_CHANGED)
            times[(working[relative].path, lines[key])] = (
                when if epoch is None else min(when, epoch)
            )
    return times


def _history(
    repository: _Repository,
    head: str,
    releases: dict[str, int],
    prefix: str,
    config_paths: list[str],
) -> History:
    """Every card of HEAD with its digest and the time its content has had since: the oldest
    release in the run of first-parent versions that show it as HEAD does, else the oldest
    commit in that run."""
    listing = repository.git(
        "ls-tree", "-r", "-z", "--full-tree", head, "--", *_specs(prefix, config_paths)
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
    version = _Version(blobs, _settings_at(repository, config_blobs, config_paths))
    note_files = [rel for rel in blobs if _is_note(rel)]
    repository.texts(blobs[rel] for rel in note_files)
    at_head = _digests(version, repository, note_files)
    open_keys = {
        (rel, key): digest
        for rel, found in at_head.items()
        for key, digest in found.items()
        if digest is not None
    }
    chain = _chain(chain_text)
    in_chain = {commit: releases[commit] for commit, _ in chain if commit in releases}
    oldest_release = max(
        (i for i, (commit, _) in enumerate(chain) if commit in in_chain), default=None
    )
    changes = _changes(repository, head, prefix, config_paths) if chain else {}
    since: dict[tuple[str, Key], int] = {}
    released: dict[tuple[str, Key], int] = {}
    for position, (commit, when) in enumerate(chain):
        for item in open_keys:
            since[item] = when
            if commit in in_chain:
                released[item] = in_chain[commit]
        if position == oldest_release or not open_keys:
            break  # past the oldest release, no time can change
        changed = changes.get(commit)
        if not changed:
            continue
        touched = _undo(version, changed, prefix, config_paths, config_blobs)
        if touched is None:  # the settings changed: every card's context did
            version.settings = _settings_at(repository, config_blobs, config_paths)
            touched = set(note_files)
        pictures = {rel for rel in touched if not _is_note(rel)}
        touched = {rel for rel in touched if _is_note(rel) and rel in at_head}
        if pictures:
            touched |= {
                rel
                for rel in note_files
                if rel in version.blobs
                and any(
                    p in pictures
                    for card in repository.cards(version.blobs[rel], rel, version.settings)
                    for p in card.pictures
                )
            }
        if not touched:
            continue
        repository.texts(version.blobs[rel] for rel in touched if rel in version.blobs)
        before = _digests(version, repository, touched)
        open_keys = {
            item: digest
            for item, digest in open_keys.items()
            if item[0] not in touched or before[item[0]].get(item[1]) == digest
        }
    history: History = {}
    for (rel, key), start in since.items():
        digest = at_head[rel][key]
        if digest is not None:
            history.setdefault(rel, {})[key] = (digest, released.get((rel, key), start))
    return history


_CODE = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()  # a walk by other code is stale
_CACHE_NAME = "note-times.json"


def _cached(folder: Path | None, key: str) -> History | None:
    """The walk kept for this commit and these tags, if this machine sealed it."""
    if folder is None:
        return None
    try:
        path = folder / _CACHE_NAME
        if path.is_symlink() or not path.is_file():
            return None
        data = unseal(path.read_bytes())
        record = json.loads(data) if data else None
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("key") != key:
        return None
    return {
        rel: {tuple(key): (digest, when) for key, digest, when in cards}
        for rel, cards in record["files"].items()
    }


def _keep(folder: Path | None, key: str, history: History) -> None:
    if folder is None:
        return
    files = {
        rel: [[list(card), digest, when] for card, (digest, when) in cards.items()]
        for rel, cards in history.items()
    }
    sealed = seal(json.dumps({"key": key, "files": files}, sort_keys=True).encode())
    if sealed is not None:
        with contextlib.suppress(OSError):  # without it, the next build walks again
            write_atomically(folder / _CACHE_NAME, sealed)


def _specs(prefix: str, config_paths: list[str]) -> list[str]:
    """The paths the history of the notes is read from, from the repository's top."""
    return [prefix.rstrip("/") or ".", *config_paths]


def _working_config(project: Path) -> tuple[str, str | None]:
    for name in _CONFIG_FILES:
        path = project / name
        if path.is_file():
            try:
                return name, path.read_text(encoding="utf-8")
            except (OSError, UnicodeError):
                return name, None
    return _CONFIG_FILES[0], ""


def _settings_at(
    repository: _Repository, config_blobs: dict[str, str], config_paths: list[str]
) -> str:
    for path, name in zip(config_paths, _CONFIG_FILES, strict=True):
        blob = config_blobs.get(path)
        if blob:
            repository.texts([blob])
            return settings_text(repository._texts.get(blob, ""), name)
    return settings_text("", _CONFIG_FILES[0])


def _file_blob(path: Path) -> str:
    """The blob id of a picture in the working tree; "-" where there is none."""
    try:
        return _blob_id_bytes(path.read_bytes()) if path.is_file() else "-"
    except OSError:
        return "-"


def _blob_id(text: str) -> str:
    return _blob_id_bytes(text.encode())


def _blob_id_bytes(data: bytes) -> str:
    """git's id of a blob with these bytes (a working-tree stand-in: only equality matters)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _releases(listed: str) -> dict[str, int]:
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


def _chain(text: str) -> list[tuple[str, int]]:
    chain, commit = [], ""
    for line in text.splitlines():
        if line.startswith("commit "):
            commit = line.split()[1]
        elif line.strip().isdigit() and commit:
            chain.append((commit, int(line)))
            commit = ""
    return chain


def _changes(
    repository: _Repository, head: str, prefix: str, config_paths: list[str]
) -> dict[str, list[tuple[str, str, str]]]:
    """For each first-parent commit touching the notes or settings: (path, old, new) blobs."""
    text = repository.git(
        "log",
        "--first-parent",
        "--diff-merges=first-parent",
        "--raw",
        "-z",
        "--no-abbrev",
        "--no-renames",
        "--format=%x01%H",
        head,
        "--",
        *_specs(prefix, config_paths),
    )
    changes: dict[str, list[tuple[str, str, str]]] = {}
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


def _undo(
    version: _Version,
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
            if old == _EMPTY_BLOB:
                config_blobs.pop(path, None)
            else:
                config_blobs[path] = old
            settings_changed = True
        elif path.startswith(prefix):
            relative = path[len(prefix) :]
            if old == _EMPTY_BLOB:
                version.blobs.pop(relative, None)
            else:
                version.blobs[relative] = old
            touched.add(relative)
    return None if settings_changed else touched
