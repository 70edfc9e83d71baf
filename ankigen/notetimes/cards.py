"""One version of a note file split into cards by its headings, without rendering: what
each card shows, as a digest, and what makes it itself across versions."""

from __future__ import annotations

import hashlib
import posixpath
import re
import tomllib
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..attributes import split_heading

# A line that opens a heading or a code fence (or closes a fence), after its "\n". Linear:
# no group here can match the same characters two ways; a pattern that starts with a literal is
# searched for at memchr speed, and history holds many versions of every file.
BLOCK_LINE = re.compile(r"\n {0,3}(?:(#{1,6})(?=[ \t\n]|\Z)([^\n]*)|(`{3,}|~{3,})([^\n]*))")
_CLOSING_HASHES = re.compile(r"(?:^|[ \t])#+$")
_FRONT_END = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.M)
_LINK_DEFINITION = re.compile(r"\n {0,3}\[([^\]\n]+)\]:[^\n]*")
# Bounded repeats: a card full of unclosed `![` or `<img` must not make the scan quadratic. Each
# pattern starts with a literal, which the regex engine finds fast.
_MD_PICTURE = re.compile(r"!\[[^\]\n]{0,1000}\]\(\s*<?([^)\s>]+)")
_HTML_PICTURE = re.compile(r"<(?i:img)\b[^>]{0,1000}?\b(?i:src)\s*=\s*[\"']?([^\"'\s>]+)")
_IMG = re.compile(r"<(?i:img)")
_FRONT_VALUE = re.compile(r"(deck|namespace)\s*:\s*(.*?)\s*$")
_SETTINGS = ("deck", "namespace", "allow_html", "code_language", "plot_format", "math")

Key = tuple[str, ...]  # what makes a card itself across versions: namespace and id or path
WHOLE_FILE: Key = ("\0",)  # the key of a note file's whole text


class CardText(NamedTuple):
    """A card as its note file's text has it, with the digest of everything it shows."""

    line: int  # 1-based, of its heading
    key: Key
    pictures: tuple[str, ...]  # paths inside the notes folder, as written
    digest: str  # of its text and context, before the pictures' contents are known


@dataclass
class Split:
    """One version of a note file split into cards, in parallel lists, with what splitting
    another version of the same file can reuse: where the two differ only in lines that hold
    no heading, fence or link definition, only the cards around those lines are digested
    again (history changes a file a few lines at a time)."""

    text: str
    relative: str
    settings: str
    front: str
    start: int  # where the text after the front matter begins
    context: str  # the file's part of every card's digest
    blocks: list[str]  # its heading and fence lines, in order
    kinds: str  # one letter for each: a card's Heading, a Title, a Fence, Inside a fence
    offsets: list[int]  # where each begins in the text
    definitions: list[str]  # its link definition lines
    starts: list[int]  # for each card, the index in `blocks` of its heading
    ends: list[int]  # and of the heading after it (len(blocks): the end of the text)
    paths: list[tuple[str, ...]]  # each card's sections
    keys: list[Key]
    pictures: list[tuple[str, ...]]
    digests: list[str]

    @property
    def cards(self) -> list[CardText]:
        found, line, position = [], 0, 0
        for start, key, pictures, digest in zip(
            self.starts, self.keys, self.pictures, self.digests, strict=True
        ):
            line += self.text.count("\n", position, self.offsets[start])
            position = self.offsets[start]
            found.append(CardText(line + 1, key, pictures, digest))
        return found

    def body(self, card: int) -> str:
        end = self.ends[card]
        stop = self.offsets[end] if end < len(self.offsets) else len(self.text)
        return self.text[self.offsets[self.starts[card]] : stop].rstrip()


def split_cards(text: str, relative: str, settings: str) -> list[CardText]:
    """The cards of one version of a note file, by its `##`+ headings outside code fences."""
    return split_file(text, relative, settings).cards


def split_file(text: str, relative: str, settings: str) -> Split:
    """`split_cards` as parallel lists, with what splitting another version can reuse."""
    start, front = 0, ""
    if text.startswith("---\n"):
        closing = _FRONT_END.search(text, 3)
        if closing is not None:
            start, front = closing.end(), text[4 : closing.start()].rstrip("\n")
    # Each line as "\n" + line: a pattern that starts with a literal is searched for in C at
    # memchr speed, and history holds many versions of every file. In `scan`, a match starts
    # where its line starts in `text`.
    scan = "\n" + text
    matches = list(BLOCK_LINE.finditer(scan, start))
    headings: list[tuple[int, str, int]] = []  # level, text, block index
    fence, kinds = "", []
    for index, match in enumerate(matches):
        marks = match[3]
        if fence:
            if marks and marks[0] == fence[0] and len(marks) >= len(fence) and not match[4].strip():
                fence = ""
            kinds.append("F" if marks else "I")
        elif marks:
            fence = marks
            kinds.append("F")
        else:
            headings.append((len(match[1]), heading_text(match[2]), index))
            kinds.append("T" if len(match[1]) == 1 else "H")
    values = {}
    for line in front.split("\n"):
        pair = _FRONT_VALUE.fullmatch(line)
        if pair:
            values[pair[1]] = pair[2].strip("'\"")
    title = next((heading for level, heading, _ in headings if level == 1), "")
    namespace = values.get("namespace") or _setting(settings, "namespace") or values.get("deck")
    namespace = namespace or _setting(settings, "deck") or title or posixpath.basename(relative)
    # Deck and namespace decide where a note goes and its GUID, not what it shows.
    shown_front = "\n".join(line for line in front.split("\n") if not _FRONT_VALUE.fullmatch(line))
    shown_settings = "\n".join(
        line for line in settings.split("\n") if not line.startswith(("deck=", "namespace="))
    )
    definitions = [match[0] for match in _LINK_DEFINITION.finditer(scan)]
    split = Split(
        text, relative, settings, front, start,
        context="\x1f".join((relative, shown_settings, shown_front)),
        blocks=[match[0] for match in matches],
        kinds="".join(kinds),
        offsets=[match.start() for match in matches],
        definitions=definitions,
        starts=[], ends=[], paths=[], keys=[], pictures=[], digests=[],
    )  # fmt: skip
    references = labelled(definitions)
    folder = posixpath.dirname(relative)
    # The loop below runs for every card of every version split: kept lean on purpose.
    levels: list[int] = []  # of the enclosing sections, and their names
    names: list[str] = []
    ends = [block for *_, block in headings[1:]] + [len(matches)] * bool(headings)
    for (level, heading, block), end in zip(headings, ends, strict=True):
        if level == 1:
            continue
        while levels and levels[-1] >= level:
            levels.pop()
            names.pop()
        path = tuple(names)
        split.starts.append(block)
        split.ends.append(end)
        split.paths.append(path)
        split.keys.append(card_key(namespace, path, heading))
        pictures, digest = digested(split, len(split.keys) - 1, references, folder)
        split.pictures.append(pictures)
        split.digests.append(digest)
        levels.append(level)
        names.append(section_name(heading))
    return split


def heading_text(raw: str) -> str:
    heading = raw.strip(" \t")
    if heading.endswith("#"):
        heading = _CLOSING_HASHES.sub("", heading).rstrip(" \t")
    return heading


def card_key(namespace: str, path: tuple[str, ...], heading: str) -> Key:
    """A card by its `#id`, else by its sections' and its own names, as parse names them: an
    attribute list added or changed (`.reversed`, `tags=`) leaves the card the same card."""
    if heading.endswith("}"):
        text, attributes, _ = split_heading(heading)
        if attributes.id is not None:
            return (namespace, "#", attributes.id)
        heading = text
    return (namespace, *path, heading)


def section_name(heading: str) -> str:
    """A section's name in its cards' paths: its heading without its attribute list."""
    return split_heading(heading)[0] if heading.endswith("}") else heading


def labelled(definitions: list[str]) -> dict[str, str]:
    """Link definitions by their label, lowered as references match them."""
    found: dict[str, str] = {}
    for line in definitions:
        match = _LINK_DEFINITION.match(line)
        if match is not None:
            found[match[1].lower()] = match[0]
    return found


def digested(
    split: Split, card: int, definitions: dict[str, str], folder: str
) -> tuple[tuple[str, ...], str]:
    """A card's pictures, and the digest of what it shows before their contents are known."""
    body = split.body(card)
    pictures: tuple[str, ...] = ()
    if "![" in body or _IMG.search(body):
        pictures = tuple(_picture_paths(body, folder))
    if definitions:  # only those the card refers to
        lowered = body.lower()
        used = "\n".join(line for label, line in definitions.items() if f"[{label}]" in lowered)
    else:
        used = ""
    content = "\x1e".join((split.context, "\x1d".join(split.paths[card]), body, used))
    return pictures, hashlib.sha256(content.encode()).hexdigest()


def explicit_id(heading: str) -> str | None:
    """The `#id` of the attribute list that ends a heading, as parse reads it."""
    return split_heading(heading)[1].id


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


def pictures_in(text: str, relative: str) -> list[str]:
    """The pictures a version of a note file shows, as paths inside the notes folder."""
    return sorted(set(_picture_paths(text, posixpath.dirname(relative))))


def _picture_paths(text: str, folder: str) -> list[str]:
    found = [m[1] for m in _MD_PICTURE.finditer(text)] if "![" in text else []
    if _IMG.search(text):
        found += [m[1] for m in _HTML_PICTURE.finditer(text)]
    return [
        posixpath.normpath(posixpath.join(folder, src.split("#")[0].split("?")[0]))
        for src in found
        if "://" not in src and not src.startswith("data:")
    ]


def whole_digest(
    text: str,
    relative: str,
    settings: str,
    blobs: dict[str, str],
    pictures: list[str] | None = None,
) -> str:
    """A note file's version as a whole: its text, the settings and its pictures' blobs (the
    pictures it shows: `pictures_in`, given or found). Equal at HEAD and in the working tree,
    every card of the file shows what HEAD's does."""
    shown = pictures_in(text, relative) if pictures is None else pictures
    seen = [f"{p}={blobs.get(p, '-')}" for p in shown]
    return hashlib.sha256(f"{settings}\x1f{relative}\x1f{text}\x1f{seen}".encode()).hexdigest()
