"""Adopted notes as files: one markdown file per top-level deck, its pictures, the settings.

A deck's notes come first, then its subdecks as sections, each one heading level deeper, so a
section's cards sit one level below it. Every heading ends with `{#id guid="…"}`: the id a
slug of the heading, unique in the folder, the GUID the note had. Tags every note of a file
shares go to its front matter, the rest to the heading's `tags="…"`.

Nothing is written over an existing file, and nothing at all unless everything can be: the
files are made in a temporary folder beside their place, then hard-linked in one by one, and
those placed are removed again if one fails. A note whose deck, GUID or tags would not come
back from the file as they are is refused (`unwritable`), never written changed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

from slugify import slugify

from ..attributes import split_heading
from ..errors import Location
from ..front_matter import read_front_matter
from ..markdown import markdown_parser
from ..parse import _plain, section_tags
from .notes import AdoptedNote

NOTES_FOLDER = "notes"
MAX_SUBDECK_DEPTH = 4  # cards of a 4th-level subdeck are `######` headings, markdown's deepest
_ONE_HEADING = ["heading_open", "inline", "heading_close"]  # the tokens of a heading alone


def deck_files(notes: Sequence[AdoptedNote]) -> dict[str, str]:
    """The markdown of every top-level deck, by its file name in the notes folder."""
    by_top: dict[str, list[AdoptedNote]] = {}
    for note in notes:
        by_top.setdefault(note.deck.split("::")[0], []).append(note)
    ids: set[str] = set()
    files: dict[str, str] = {}
    for top, members in by_top.items():
        name = _unique(slugify(top) or "deck", {n.removesuffix(".md") for n in files}) + ".md"
        files[name] = _deck_text(top, members, ids)
    return files


def _deck_text(top: str, notes: Sequence[AdoptedNote], ids: set[str]) -> str:
    shared = set(notes[0].tags).intersection(*(n.tags for n in notes[1:]))
    front = [f"deck: {json.dumps(top, ensure_ascii=False)}"]
    if shared:
        tags = [t for t in notes[0].tags if t in shared]
        front.append(f"tags: {json.dumps(tags, ensure_ascii=False)}")
    lines = ["---", *front, "---", f"# {top}", ""]
    paths = sorted({tuple(n.deck.split("::")[1:]) for n in notes})
    written: set[tuple[str, ...]] = {()}
    for path in paths:  # sorted: a section comes before its subsections
        for depth in range(1, len(path) + 1):
            if path[:depth] not in written:
                written.add(path[:depth])
                lines += [f"{'#' * (depth + 1)} {path[depth - 1]}", ""]
        level = len(path) + 2
        for note in (n for n in notes if tuple(n.deck.split("::")[1:]) == path):
            given = shared | set(section_tags(list(path)))  # the build gives these itself
            lines += [_heading(note, level, given, ids), "", note.body, ""]
    return "\n".join(lines)


def _heading(note: AdoptedNote, level: int, shared: set[str], ids: set[str]) -> str:
    """`### Heading {#id .kind tags="…" guid="…"}`."""
    plain = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", note.heading)  # a picture by its alt text
    plain = re.sub(r"[\\*_`$]|<br>", " ", plain)
    identity = _unique(slugify(plain)[:60].strip("-") or "note", ids)
    ids.add(identity)
    own = [t for t in note.tags if t not in shared]
    return f"{'#' * level} {note.heading} {_attribute_list(identity, note.classes, own, note.guid)}"


def _attribute_list(identity: str, classes: Sequence[str], tags: Sequence[str], guid: str) -> str:
    """`{#id .kind tags="…" tags='…' guid="…"}`: tags holding `"` go in single quotes."""
    items = [f"#{identity}", *(f".{kind}" for kind in classes)]
    for quote in ('"', "'"):
        quoted = [t for t in tags if (quote == "'") == ('"' in t)]
        if quoted:
            items.append(f"tags={quote}{' '.join(quoted)}{quote}")
    items.append(f'guid="{guid}"' if '"' not in guid else f"guid='{guid}'")
    return f"{{{' '.join(items)}}}"


def unwritable(note: AdoptedNote) -> str | None:
    """Why `note`'s deck, GUID or a tag would not come back from its file as they are, or None."""
    top, *sections = note.deck.split("::")
    if not _title_round_trips(top):
        return f"its deck name {top!r} would not come back as it is from the file's front matter"
    for name in sections:
        if _section_name(name) != name:
            return (
                f"its subdeck name {name!r} would not come back as it is from a section heading"
                " (which reads `*`, `_`, `` ` ``, a closing `{…}` or `#` as markup)"
            )
    for tag in note.tags:
        found = split_heading("x " + _attribute_list("x", (), [tag], "x"))[1]
        if found.tags != (tag,) or found.problems:
            why = "; ".join(p.message for p in found.problems) or "it holds both kinds of quote"
            return f"its tag {tag!r} cannot be written in a heading: {why}"
    found = split_heading("x " + _attribute_list("x", (), (), note.guid))[1]
    if found.guid != note.guid or found.problems:
        return (
            "its GUID cannot be pinned in a heading (up to 64 printable ASCII "
            "characters, not both kinds of quote)"
        )
    return None


@lru_cache(maxsize=4096)  # every note of a subdeck asks again
def _section_name(name: str) -> str | None:
    """The deck name the build reads from the section heading `## name`."""
    tokens = markdown_parser(False).parse(f"## {name}\n")
    if [t.type for t in tokens] != _ONE_HEADING:
        return None
    return _plain(split_heading(tokens[1].content)[0])


@lru_cache(maxsize=4096)
def _title_round_trips(top: str) -> bool:
    """Whether front matter `deck:` reads back as `top`, under a `# top` title of one line."""
    meta = read_front_matter(f"deck: {json.dumps(top, ensure_ascii=False)}\n", _nowhere)
    tokens = markdown_parser(False).parse(f"# {top}\n")
    return meta.deck == top and [t.type for t in tokens] == _ONE_HEADING


def _nowhere(line: int, column: int) -> Location:
    return Location("")


def _unique(name: str, taken: Iterable[str]) -> str:
    taken = set(taken)
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = f"{name}-{number}"
    return candidate


def write_all(folder: Path, files: dict[str, bytes]) -> None:
    """`files` (by path relative to `folder`) written, all or none; FileExistsError naming
    every one that exists already, before anything is written."""
    existing = [name for name in files if os.path.lexists(folder / name)]
    if existing:
        raise FileExistsError(", ".join(str(folder / name) for name in sorted(existing)))
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".ankigen-import-", dir=folder))
    placed: list[Path] = []
    try:
        for name, data in files.items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            (staging / name).write_bytes(data)
        for name in files:
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(staging / name, target)  # fails, rather than replaces, if it appeared since
            placed.append(target)
    except BaseException:
        for target in placed:
            target.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
