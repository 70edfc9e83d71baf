"""The notes' git history as the note times need it: the first-parent line of commits, what
each changed, the release tags, and every note file's cards at a version, read through one
`git cat-file` process (`git.BlobReader`)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..config import CONFIG_FILES
from ..git import BlobReader, run_git
from ..storage import read_regular
from .cards import WHOLE_FILE, CardText, Key, Split, settings_text, whole_digest
from .resplit import split_like

EMPTY_BLOB = "0" * 40  # git's id for "no file" in a change
MAX_SETTINGS_BYTES = 1024 * 1024


@dataclass
class Version:
    """Every note file of the notes folder at one commit, split, and its pictures' blobs."""

    blobs: dict[str, str]  # path inside the notes folder -> blob id, for every file there
    settings: str


class Repository:
    def __init__(self, top: Path) -> None:
        self.top = top
        self._texts: dict[str, str] = {}
        self._splits: dict[tuple[str, str, str], Split] = {}
        self._last: dict[str, Split] = {}  # each file's latest split, for the next to reuse
        self._blobs = BlobReader(top)

    def git(self, *args: str, given: str | None = None) -> str | None:
        return run_git(self.top, *args, given=given)

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
        """Blobs' bytes, from one `git cat-file` process kept for the whole walk; empty for
        "no file" (`EMPTY_BLOB`) and for an id git does not know."""
        wanted = [blob for blob in blobs if blob != EMPTY_BLOB]
        found = dict(zip(wanted, self._blobs.read_many(wanted), strict=True))
        return [found.get(blob) or b"" for blob in blobs]

    def close(self) -> None:
        self._blobs.close()

    def forget(self, keep: set[str]) -> None:
        """Drop the texts and cards of versions no longer compared: the walk's memory stays
        that of a few versions, not of the whole history."""
        if len(self._texts) > 2 * len(keep):
            self._texts = {blob: text for blob, text in self._texts.items() if blob in keep}
            self._splits = {key: split for key, split in self._splits.items() if key[0] in keep}

    def known(self, blob: str, text: str) -> None:
        """A text not in the repository (the working tree's), under a blob id of its own."""
        self._texts[blob] = text

    def split(self, blob: str, relative: str, settings: str) -> Split:
        key = (blob, relative, settings)
        if key not in self._splits:
            split = split_like(self.text(blob), relative, settings, self._last.get(relative))
            self._splits[key] = self._last[relative] = split
        return self._splits[key]

    def cards(self, blob: str, relative: str, settings: str) -> list[CardText]:
        return self.split(blob, relative, settings).cards


def _decoded(raw: bytes) -> str:
    """A note file's bytes as discovery decodes them (not UTF-8: no cards)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return ""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def digests(
    version: Version,
    repository: Repository,
    files: Iterable[str],
    wanted: dict[str, dict[Key, str]] | None = None,
) -> dict[str, dict[Key, str | None]]:
    """Each note file's cards: key -> the digest of what it shows, pictures included (None for
    a key used twice in the file, which has no one content). The file as a whole is digested
    only where `wanted` asks for it (its WHOLE_FILE key), or always without `wanted`."""
    result: dict[str, dict[Key, str | None]] = {}
    for relative in files:
        blob = version.blobs.get(relative)
        found: dict[Key, str | None] = {}
        if blob is not None:
            split = repository.split(blob, relative, version.settings)
            shown = zip(split.keys, split.pictures, split.digests, strict=True)
            for key, pictures, digest in shown:
                if pictures:
                    seen = [f"{p}={version.blobs.get(p, '-')}" for p in pictures]
                    digest = hashlib.sha256(f"{digest}\x1f{seen}".encode()).hexdigest()
                found[key] = None if key in found else digest
            # The file as a whole, for the cards its headings do not show (its file's time).
            if wanted is None or WHOLE_FILE in wanted.get(relative, ()):
                text = repository.text(blob)
                found[WHOLE_FILE] = whole_digest(text, relative, version.settings, version.blobs)
        result[relative] = found
    return result


def is_note(relative: str) -> bool:
    return relative.endswith((".md", ".markdown")) and not any(
        part.startswith(".") for part in relative.split("/")
    )


def history_paths(prefix: str, config_paths: list[str]) -> list[str]:
    """The paths the history of the notes is read from, from the repository's top."""
    return [prefix.rstrip("/") or ".", *config_paths]


def working_config(project: Path) -> tuple[str, str | None]:
    for name in CONFIG_FILES:
        path = project / name
        if path.is_file():
            try:  # as every other read of a pull request's files: not through a link
                return name, read_regular(path, MAX_SETTINGS_BYTES).decode("utf-8")
            except (OSError, UnicodeError):
                return name, None
    return CONFIG_FILES[0], ""


def settings_at(
    repository: Repository, config_blobs: dict[str, str], config_paths: list[str]
) -> str:
    for path, name in zip(config_paths, CONFIG_FILES, strict=True):
        blob = config_blobs.get(path)
        if blob:
            return settings_text(repository.text(blob), name)
    return settings_text("", CONFIG_FILES[0])


def file_blob(path: Path) -> str:
    """The blob id of a picture in the working tree; "-" where there is none."""
    try:
        return blob_id_of_bytes(read_regular(path)) if path.is_file() else "-"
    except OSError:
        return "-"


def blob_id(text: str) -> str:
    return blob_id_of_bytes(text.encode())


def blob_id_of_bytes(data: bytes) -> str:
    """git's id of a blob with these bytes (a working-tree stand-in: only equality matters)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
