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
from typing import Any, NamedTuple

from .model import SourceFile
from .sources import run_git
from .storage import seal, unseal, write_atomically

# When ankigen last changed the HTML it makes of unchanged notes: every note is at least this
# new, so the first build with a changed renderer delivers the new HTML once. Move it to the
# day of the change (tests/test_note_times.py holds a digest of the seed's fields beside it).
RENDERING_CHANGED = 1795970169  # pictures drawn for phones: 3.6 x 2.4 in, text of 8 points at least

# A line that opens a heading or a code fence (or closes a fence), after its "\n". Linear:
# no group here can match the same characters two ways.
_BLOCK_LINE = re.compile(r"\n {0,3}(?:(#{1,6})(?=[ \t\n]|\Z)([^\n]*)|(`{3,}|~{3,})([^\n]*))")
_CLOSING_HASHES = re.compile(r"(?:^|[ \t])#+$")
_FRONT_END = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.M)
_LINK_DEFINITION = re.compile(r"\n {0,3}\[([^\]\n]+)\]:[^\n]*")
_PICTURE = re.compile(
    r"!\[[^\]]*\]\(\s*<?([^)\s>]+)|<img\b[^>]*?\bsrc\s*=\s*[\"']?([^\"'\s>]+)", re.IGNORECASE
)
_FRONT_VALUE = re.compile(r"(deck|namespace)\s*:\s*(.*?)\s*$")
_SETTINGS = ("deck", "namespace", "allow_html", "code_language", "plot_format", "math")
_CONFIG_FILES = ("ankigen.toml", "pyproject.toml")  # as config.py looks for them
_EMPTY_BLOB = "0" * 40

Key = tuple[str, ...]  # what makes a card itself across versions: namespace and id or path
WHOLE_FILE: Key = ("\0",)  # the key of a note file's whole text


class CardText(NamedTuple):
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
    headings: list[tuple[int, int, str, int]] = []  # line index, level, text, offset
    # Each line as "\n" + line: a pattern that starts with a literal is searched for in C at
    # memchr speed, and history holds many versions of every file.
    scan = "\n" + text
    fence, line, position = "", text.count("\n", 0, start), start
    for match in _BLOCK_LINE.finditer(scan, start):
        line += scan.count("\n", position + 1, match.start() + 1)
        position = match.start()
        marks = match[3]
        if fence:
            if marks and marks[0] == fence[0] and len(marks) >= len(fence) and not match[4].strip():
                fence = ""
        elif marks:
            fence = marks
        else:
            heading = match[2].strip(" \t")
            if heading.endswith("#"):
                heading = _CLOSING_HASHES.sub("", heading).rstrip(" \t")
            headings.append((line, len(match[1]), heading, position))
    values = {}
    for line in front.split("\n"):
        pair = _FRONT_VALUE.fullmatch(line)
        if pair:
            values[pair[1]] = pair[2].strip("'\"")
    title = next((heading for _, level, heading, _ in headings if level == 1), "")
    namespace = values.get("namespace") or _setting(settings, "namespace") or values.get("deck")
    namespace = namespace or _setting(settings, "deck") or title or posixpath.basename(relative)
    definitions = {match[1].lower(): match[0] for match in _LINK_DEFINITION.finditer(scan)}
    # Deck and namespace decide where a note goes and its GUID, not what it shows.
    shown_front = "\n".join(line for line in front.split("\n") if not _FRONT_VALUE.fullmatch(line))
    shown_settings = "\n".join(
        line for line in settings.split("\n") if not line.startswith(("deck=", "namespace="))
    )
    context = "\x1f".join((relative, shown_settings, shown_front))
    folder = posixpath.dirname(relative)
    cards, ancestors = [], []  # ancestors: (level, text) of the enclosing sections
    for position, (index, level, heading, offset) in enumerate(headings):
        if level == 1:
            continue
        end = headings[position + 1][3] if position + 1 < len(headings) else len(text)
        while ancestors and ancestors[-1][0] >= level:
            ancestors.pop()
        body = text[offset:end].rstrip()
        explicit = explicit_id(heading)
        path = tuple(text for _, text in ancestors)
        key = (namespace, "#", explicit) if explicit is not None else (namespace, *path, heading)
        pictures = ()
        if "![" in body or "<img" in body.lower():
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


def explicit_id(heading: str) -> str | None:
    """The `{#id}` that ends a heading, as parse.HEADER_ID finds it, in time linear in its
    length (HEADER_ID's search is quadratic on `{#{#{#...`)."""
    text = heading.rstrip()
    if not text.endswith("}"):
        return None
    start = text.find("{#", text.rfind("}", 0, len(text) - 1) + 1)
    return None if start < 0 else text[start + 2 : -1]


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
        self._reader: subprocess.Popen[bytes] | None = None

    def git(self, *args: str) -> str | None:
        return run_git(self.top, *args)

    def text(self, blob: str) -> str:
        """A note file's text at a blob, decoded as the working tree's are."""
        if blob not in self._texts:
            self._texts[blob] = _decoded(self._read(blob))
        return self._texts[blob]

    def prefetch(self, blobs: Iterable[str]) -> None:
        """Read many note files' blobs with one round trip to git."""
        wanted = [b for b in dict.fromkeys(blobs) if b not in self._texts]
        for blob, raw in zip(wanted, self._read_many(wanted), strict=True):
            self._texts[blob] = _decoded(raw)

    def _read(self, blob: str) -> bytes:
        return self._read_many([blob])[0]

    def _read_many(self, blobs: list[str]) -> list[bytes]:
        """Blobs' bytes, from one `git cat-file` process kept for the whole walk."""
        valid = [b for b in blobs if b != _EMPTY_BLOB and re.fullmatch(r"[0-9a-f]{40,64}", b)]
        if not valid:
            return [b""] * len(blobs)
        if self._reader is None:
            self._reader = subprocess.Popen(
                ["git", "cat-file", "--batch"],
                cwd=self.top,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=_git_env(),
            )
        assert self._reader.stdin is not None and self._reader.stdout is not None
        self._reader.stdin.write("".join(f"{b}\n" for b in valid).encode())
        self._reader.stdin.flush()
        found = {}
        for blob in valid:
            header = self._reader.stdout.readline().split()
            if len(header) == 3 and header[1] == b"blob":
                found[blob] = self._reader.stdout.read(int(header[2]) + 1)[:-1]
        return [found.get(b, b"") for b in blobs]

    def close(self) -> None:
        if self._reader is not None:
            with contextlib.suppress(OSError):
                self._reader.stdin.close()  # type: ignore[union-attr]
            self._reader.wait()
            self._reader = None

    def known(self, blob: str, text: str) -> None:
        """A text not in the repository (the working tree's), under a blob id of its own."""
        self._texts[blob] = text

    def cards(self, blob: str, relative: str, settings: str) -> list[CardText]:
        key = (blob, relative, settings)
        if key not in self._cards:
            self._cards[key] = split_cards(self.text(blob), relative, settings)
        return self._cards[key]


def _decoded(raw: bytes) -> str:
    """A note file's bytes as discovery decodes them (not UTF-8: no cards)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return ""
    return text.replace("\r\n", "\n").replace("\r", "\n")


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
            # The file as a whole, for the cards its headings do not show (its file's time).
            text = repository.text(blob)
            found[WHOLE_FILE] = hashlib.sha256(f"{version.settings}\x1f{text}".encode()).hexdigest()
        result[relative] = found
    return result


def _is_note(relative: str) -> bool:
    return relative.endswith((".md", ".markdown")) and not any(
        part.startswith(".") for part in relative.split("/")
    )


History = dict[str, dict[Key, tuple[str, int]]]  # file -> card -> (digest at HEAD, its time)


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
    repository = _Repository(top)
    head = repository.git("rev-parse", "--verify", "-q", "HEAD^{commit}")
    tags = repository.git(
        "for-each-ref",
        "--format=%(objectname) %(*objectname) %(creatordate:unix)",
        f"refs/tags/{release_tags}",
    )
    if head is None or tags is None:
        return NoteTimes({}, {})
    prefix = "" if notes_rel == "." else notes_rel + "/"
    config_paths = [posixpath.normpath(posixpath.join(project_rel, n)) for n in _CONFIG_FILES]
    cache_key = hashlib.sha256(
        "\x1f".join((_CODE, head, tags, prefix, *config_paths)).encode()
    ).hexdigest()
    kept = cache_folder / f"note-times-{_short(prefix)}.json" if cache_folder else None
    history = _cached(kept, cache_key)
    if history is None:
        try:
            history = _history(repository, head.strip(), _releases(tags), prefix, config_paths)
        finally:
            repository.close()
        _keep(kept, cache_key, history)

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
    times = NoteTimes({}, {})
    for relative, found in target.items():
        at_head = history.get(relative)
        if at_head is None:  # not in HEAD: untracked, or in a repository of its own
            continue
        source = working[relative]
        lines = {card.key: card.line for card in cards[relative]}
        for key, digest in found.items():
            known = at_head.get(key)
            if digest is None or known is None or known[0] != digest:
                when = source.modified  # not committed: SOURCE_DATE_EPOCH or the file's time
            else:
                when = max(known[1], RENDERING_CHANGED)
                when = when if epoch is None else min(when, epoch)
            if key == WHOLE_FILE:
                times.files[source.path] = when
            else:
                times.cards[(source.path, lines[key])] = when
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
    repository.prefetch(blobs[rel] for rel in note_files)
    at_head = _digests(version, repository, note_files)
    chain = _chain(chain_text)
    # For each place in the walk, the time of the oldest release at or after it (towards HEAD).
    release_upto: list[int | None] = []
    for commit, _ in chain:
        release_upto.append(releases.get(commit, release_upto[-1] if release_upto else None))
    oldest_release = max(
        (i for i, (commit, _) in enumerate(chain) if commit in releases), default=None
    )
    changes = _changes(repository, head, prefix, config_paths) if chain else {}
    waiting = {  # the cards whose run of versions equal to HEAD's goes on, by file
        rel: {key: digest for key, digest in found.items() if digest is not None}
        for rel, found in at_head.items()
    }
    left = sum(len(cards) for cards in waiting.values())
    ended: dict[tuple[str, Key], int] = {}  # card -> the oldest place of its run
    last = len(chain) - 1
    # Commit by commit back to the newest release; past it only the releases matter (what a
    # student could have imported), so versions are compared at release commits alone.
    newest_release = min(
        (i for i, (commit, _) in enumerate(chain) if commit in releases), default=last
    )
    pending: set[str] = set()  # files changed since the last comparison
    pictures: set[str] = set()
    for position, (commit, _) in enumerate(chain):
        if position == oldest_release or not left:
            last = position  # past the oldest release, no time can change
            break
        changed = changes.get(commit)
        if changed:
            touched = _undo(version, changed, prefix, config_paths, config_blobs)
            if touched is None:  # the settings changed: every card's context did
                version.settings = _settings_at(repository, config_blobs, config_paths)
                touched = set(note_files)
            pictures |= {rel for rel in touched if not _is_note(rel)}
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
        before = _digests(version, repository, pending)
        for rel in pending:
            cards, now = waiting[rel], before[rel]
            for key in [key for key, digest in cards.items() if now.get(key) != digest]:
                ended[(rel, key)] = position
                del cards[key]
                left -= 1
        pending, pictures = set(), set()
    history: History = {}
    for rel, found in at_head.items():
        for key, digest in found.items():
            if digest is not None:
                position = ended.get((rel, key), last)
                when = release_upto[position] or chain[position][1]
                history.setdefault(rel, {})[key] = (digest, when)
    return history


_CODE = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()  # a walk by other code is stale


def _short(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _cached(path: Path | None, key: str) -> History | None:
    """The walk kept for this commit and these tags, if this machine sealed it."""
    if path is None:
        return None
    try:
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


def _keep(path: Path | None, key: str, history: History) -> None:
    if path is None:
        return
    files = {
        rel: [[list(card), digest, when] for card, (digest, when) in cards.items()]
        for rel, cards in history.items()
    }
    sealed = seal(json.dumps({"key": key, "files": files}, sort_keys=True).encode())
    if sealed is not None:
        with contextlib.suppress(OSError):  # without it, the next build walks again
            write_atomically(path, sealed)


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
            return settings_text(repository.text(blob), name)
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
