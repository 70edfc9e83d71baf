"""Compare two decks note by note: added, removed, changed (as word diffs), likely renames, media.

A deck is read from an .apkg (sqlite inside a zip, the legacy schema genanki writes) or taken
straight from the notes of a build. Notes are matched by GUID, as Anki's importer matches them.
"""

from __future__ import annotations

import difflib
import hashlib
import html
import json
import re
import sqlite3
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .model import Note

RENAME_SIMILARITY = 0.8  # difflib ratio of two notes' words from which a pair is a likely rename
CONTEXT_WORDS = 6  # unchanged words shown around a change in text and markdown
FORMATS = ("text", "markdown", "json")


@dataclass(frozen=True)
class PackagedNote:
    """One note as stored in a package."""

    guid: str
    note_type: str
    fields: dict[str, str]  # field name -> HTML, in the note type's order
    tags: tuple[str, ...]  # sorted
    deck: str  # the deck of its first card

    @property
    def heading(self) -> str:
        """The text a reader knows the note by: its Front or Heading field, else the first."""
        for name in ("Front", "Heading"):
            if name in self.fields:
                return plain_text(self.fields[name])
        return plain_text(next(iter(self.fields.values()), ""))

    @property
    def content(self) -> tuple[str, ...]:
        """The words a learner sees, for similarity: of every field but the source path."""
        return tuple(word for k, v in self.fields.items() if k != "Source" for word in _words(v))


@dataclass(frozen=True)
class PackageContents:
    notes: dict[str, PackagedNote]  # by GUID
    media: dict[str, str]  # media file name -> sha256 hex of its bytes


@dataclass(frozen=True)
class Origin:
    """Where a note of a build comes from; what it takes to give a new heading an old GUID."""

    identity: str
    namespace: str
    location: str  # `path:line` of the heading


@dataclass(frozen=True)
class Span:
    op: Literal["equal", "delete", "insert"]
    text: str  # words joined by single spaces


@dataclass(frozen=True)
class FieldDiff:
    name: str
    spans: tuple[Span, ...]  # all "equal" when only the markup changed


@dataclass(frozen=True)
class NoteChange:
    old: PackagedNote
    new: PackagedNote
    fields: tuple[FieldDiff, ...]  # only the fields whose HTML differs


@dataclass(frozen=True)
class Rename:
    """A removed note and an added one with nearly the same text: the GUID changed."""

    old: PackagedNote
    new: PackagedNote
    similarity: float
    fields: tuple[FieldDiff, ...]
    old_origin: Origin | None = None
    new_origin: Origin | None = None


@dataclass(frozen=True)
class DeckDiff:
    added: tuple[PackagedNote, ...]  # likely renames are in `renames`, not here
    removed: tuple[PackagedNote, ...]
    changed: tuple[NoteChange, ...]
    renames: tuple[Rename, ...]
    media_added: tuple[str, ...]
    media_removed: tuple[str, ...]
    media_changed: tuple[str, ...] = ()  # same name, other bytes

    @property
    def empty(self) -> bool:
        cards = (self.added, self.removed, self.changed, self.renames)
        return not any((*cards, self.media_added, self.media_removed, self.media_changed))


# --- reading decks ---


def read_package(path: Path) -> PackageContents:
    """The notes and media of an .apkg; ValueError if it is not a package in the legacy schema."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "collection.anki21b" in names and "collection.anki21" not in names:
                raise ValueError(f"{path}: Anki's compressed package format is not supported")
            entry = next((n for n in ("collection.anki21", "collection.anki2") if n in names), None)
            if entry is None:
                raise ValueError(f"{path}: not an Anki package (no collection inside)")
            collection = archive.read(entry)
            index = _media_index(path, archive.read("media") if "media" in names else b"{}")
            media = {
                name: hashlib.sha256(archive.read(number)).hexdigest()
                for number, name in index.items()
                if number in names
            }
    except (zipfile.BadZipFile, OSError) as exc:
        raise ValueError(f"{path}: not an Anki package ({exc})") from exc
    return PackageContents(_read_collection(path, collection), dict(sorted(media.items())))


def _media_index(path: Path, data: bytes) -> dict[str, str]:
    try:
        index = json.loads(data or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: unreadable media list ({exc})") from exc
    if not isinstance(index, dict):
        raise ValueError(f"{path}: unreadable media list")
    return {str(number): str(name) for number, name in index.items()}


def _read_collection(path: Path, collection: bytes) -> dict[str, PackagedNote]:
    with tempfile.TemporaryDirectory(prefix="ankigen-diff-") as folder:
        db_path = Path(folder, "collection.anki2")
        db_path.write_bytes(collection)
        db = sqlite3.connect(db_path)
        try:
            models_json, decks_json = db.execute("select models, decks from col").fetchone()
            models, decks = json.loads(models_json or "{}"), json.loads(decks_json or "{}")
            notes = db.execute("select id, guid, mid, tags, flds from notes").fetchall()
            first_cards = db.execute(
                "select nid, did from cards c where id = "
                "(select id from cards where nid = c.nid order by ord, id limit 1)"
            ).fetchall()
        except (sqlite3.DatabaseError, TypeError, ValueError) as exc:
            raise ValueError(f"{path}: unreadable collection ({exc})") from exc
        finally:
            db.close()
    deck_of = {nid: decks.get(str(did), {}).get("name", f"deck {did}") for nid, did in first_cards}
    result = {}
    for nid, guid, mid, tags, flds in notes:
        model = models.get(str(mid), {"name": f"note type {mid}", "flds": []})
        names = [f["name"] for f in sorted(model["flds"], key=lambda f: f["ord"])]
        values = flds.split("\x1f")
        names += [f"Field {i + 1}" for i in range(len(names), len(values))]
        result[guid] = PackagedNote(
            guid=guid,
            note_type=model["name"],
            fields=dict(zip(names, values + [""] * (len(names) - len(values)), strict=True)),
            tags=tuple(sorted(tags.split())),
            deck=deck_of.get(nid, ""),
        )
    return dict(sorted(result.items()))


def contents_from_notes(notes: Sequence[Note]) -> PackageContents:
    """The view `read_package` gives of these notes' package, without writing one."""
    from .notetypes import BASIC, CLOZE

    types = {"basic": BASIC, "cloze": CLOZE}
    packaged = {
        note.guid: PackagedNote(
            guid=note.guid,
            note_type=types[note.kind].name,
            fields=dict(zip(types[note.kind].fields, note.fields, strict=True)),
            tags=tuple(sorted(note.card.tags)),
            deck=note.card.deck,
        )
        for note in notes
    }
    media = {m.name: hashlib.sha256(m.data).hexdigest() for note in notes for m in note.media}
    return PackageContents(dict(sorted(packaged.items())), dict(sorted(media.items())))


def origins_from_notes(notes: Sequence[Note]) -> dict[str, Origin]:
    """Each note's identity, namespace and heading location, by GUID, for rename advice."""
    return {
        note.guid: Origin(
            note.card.identity,
            note.card.namespace,
            f"{note.card.location.path}:{note.card.location.line}",
        )
        for note in notes
    }


# --- comparing ---

# tags that separate words; any other tag (strong, code, span...) may sit inside a word
_BLOCK_TAG = re.compile(
    r"address|article|aside|blockquote|br|dd|div|dl|dt|figcaption|figure|footer|h[1-6]|header|hr"
    r"|li|main|nav|ol|p|pre|section|table|tbody|td|tfoot|th|thead|tr|ul"
)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)\b[^>]*>")
_SRC = re.compile(r"""\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")


def plain_text(field_html: str) -> str:
    """The words of a field without markup; a picture is the one word `[image:NAME]`."""
    return " ".join(_words(field_html))


def _words(field_html: str) -> list[str]:
    def replace(tag: re.Match[str]) -> str:
        name = tag.group(2).lower()
        if name == "img":
            src = _SRC.search(tag.group(0))
            return f" [image:{next(g for g in src.groups() if g is not None)}] " if src else " "
        return " " if _BLOCK_TAG.fullmatch(name) else ""

    return html.unescape(_TAG.sub(replace, _COMMENT.sub("", field_html))).split()


def word_diff(old_html: str, new_html: str) -> tuple[Span, ...]:
    """The words of two versions of a field as equal, deleted and inserted runs."""
    old, new = _words(old_html), _words(new_html)
    spans: list[Span] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            spans.append(Span("equal", " ".join(old[i1:i2])))
            continue
        if i2 > i1:
            spans.append(Span("delete", " ".join(old[i1:i2])))
        if j2 > j1:
            spans.append(Span("insert", " ".join(new[j1:j2])))
    return tuple(spans)


def diff_contents(
    old: PackageContents,
    new: PackageContents,
    *,
    old_ids: Mapping[str, Origin] | None = None,
    new_ids: Mapping[str, Origin] | None = None,
) -> DeckDiff:
    """What importing `new` over `old` adds, removes and changes; origins improve rename advice."""
    added = [n for guid, n in new.notes.items() if guid not in old.notes]
    removed = [n for guid, n in old.notes.items() if guid not in new.notes]
    changed = [
        NoteChange(before, after, _field_diffs(before, after))
        for guid, before in old.notes.items()
        if (after := new.notes.get(guid)) is not None and before != after
    ]
    renames = [
        Rename(
            before,
            after,
            ratio,
            _field_diffs(before, after),
            (old_ids or {}).get(before.guid),
            (new_ids or {}).get(after.guid),
        )
        for before, after, ratio in _pair_renames(removed, added)
    ]
    paired = {r.old.guid for r in renames} | {r.new.guid for r in renames}
    return DeckDiff(
        added=tuple(sorted((n for n in added if n.guid not in paired), key=_order)),
        removed=tuple(sorted((n for n in removed if n.guid not in paired), key=_order)),
        changed=tuple(sorted(changed, key=lambda c: _order(c.new))),
        renames=tuple(sorted(renames, key=lambda r: _order(r.new))),
        media_added=tuple(sorted(new.media.keys() - old.media.keys())),
        media_removed=tuple(sorted(old.media.keys() - new.media.keys())),
        media_changed=tuple(
            sorted(n for n in old.media.keys() & new.media.keys() if old.media[n] != new.media[n])
        ),
    )


def _order(note: PackagedNote) -> tuple[str, str, str]:
    return note.deck, note.heading.casefold(), note.guid


def _field_diffs(old: PackagedNote, new: PackagedNote) -> tuple[FieldDiff, ...]:
    names = [*old.fields, *(name for name in new.fields if name not in old.fields)]
    return tuple(
        FieldDiff(name, word_diff(old.fields.get(name, ""), new.fields.get(name, "")))
        for name in names
        if old.fields.get(name, "") != new.fields.get(name, "")
    )


def _pair_renames(
    removed: Sequence[PackagedNote], added: Sequence[PackagedNote]
) -> list[tuple[PackagedNote, PackagedNote, float]]:
    """Pairs of a removed and an added note with nearly the same text, best match first.

    Equal texts pair first and cheaply (a renamed deck without a pinned namespace changes every
    GUID); only the rest are compared pairwise.
    """
    texts = {n.guid: n.content for n in [*removed, *added]}
    candidates = []
    identical: dict[tuple[str, ...], list[PackagedNote]] = {}
    for after in sorted(added, key=_order):
        identical.setdefault(texts[after.guid], []).append(after)
    for before in sorted(removed, key=_order):
        if twins := identical.get(texts[before.guid]):
            candidates.append((-1.0, _order(before), _order(twins[0]), before, twins.pop(0)))
    paired = {c[3].guid for c in candidates} | {c[4].guid for c in candidates}
    rest = [n for n in added if n.guid not in paired]
    for before in (n for n in removed if n.guid not in paired):
        matcher = difflib.SequenceMatcher(None, autojunk=False)
        matcher.set_seq2(texts[before.guid])
        for after in rest:
            matcher.set_seq1(texts[after.guid])
            if matcher.real_quick_ratio() < RENAME_SIMILARITY:
                continue
            if matcher.quick_ratio() < RENAME_SIMILARITY:
                continue
            ratio = matcher.ratio()
            if ratio >= RENAME_SIMILARITY:
                candidates.append((-ratio, _order(before), _order(after), before, after))
    pairs, used = [], set()
    for negative, _, _, before, after in sorted(candidates, key=lambda c: c[:3]):
        if before.guid not in used and after.guid not in used:
            used |= {before.guid, after.guid}
            pairs.append((before, after, round(-negative, 3)))
    return pairs


def rename_advice(rename: Rename) -> str:
    """What to write in the notes so that the renamed card keeps its GUID and review history."""
    from .parse import VALID_ID

    old, new = rename.old_origin, rename.new_origin
    if old is None:
        return "give the new heading the old card's `{#id}`"
    where = f" at {new.location}" if new else ""
    steps = []
    if new is None or new.identity != old.identity:
        if not VALID_ID.fullmatch(old.identity):
            return (
                f"its old identity `{old.identity}` cannot be written as an `{{#id}}`; "
                "only the old heading and sections keep it"
            )
        steps.append(f"add `{{#{old.identity}}}` to the heading{where}")
    if new is not None and new.namespace != old.namespace:
        path = new.location.rpartition(":")[0]
        steps.append(f"pin `namespace: {old.namespace}` in the front matter of {path}")
    return " and ".join(steps) or "keep the old heading"


# --- formats ---


def format_diff(diff: DeckDiff, fmt: str) -> str:
    """The diff as `text` (terminal), `markdown` (a pull request's summary) or `json`."""
    if fmt == "text":
        return _text(diff)
    if fmt == "markdown":
        return _markdown(diff)
    if fmt == "json":
        return json.dumps(_json(diff), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    raise ValueError(f"unknown diff format {fmt!r}; choose from {', '.join(FORMATS)}")


def _counts(diff: DeckDiff) -> str:
    parts = [
        (len(diff.added), "added", "added"),
        (len(diff.changed), "changed", "changed"),
        (len(diff.removed), "removed", "removed"),
        (len(diff.renames), "likely rename", "likely renames"),
        (len(diff.media_added), "media file added", "media files added"),
        (len(diff.media_changed), "media file changed", "media files changed"),
        (len(diff.media_removed), "media file removed", "media files removed"),
    ]
    return ", ".join(f"{n} {one if n == 1 else many}" for n, one, many in parts if n)


def _trimmed(spans: Sequence[Span]) -> list[Span]:
    """Long unchanged runs cut to a few words of context around each change."""
    result = []
    for i, span in enumerate(spans):
        words = span.text.split(" ")
        if span.op != "equal" or len(words) <= 2 * CONTEXT_WORDS:
            result.append(span)
            continue
        head = words[:CONTEXT_WORDS] if i > 0 else []
        tail = words[-CONTEXT_WORDS:] if i < len(spans) - 1 else []
        result.append(Span("equal", " ".join([*head, "…", *tail])))
    return result


def _note_line(note: PackagedNote) -> str:
    return f"{note.deck}: {_short(note.heading)}"


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _tag_spans(old: Sequence[str], new: Sequence[str]) -> list[Span]:
    return [Span("delete", t) for t in old if t not in new] + [
        Span("insert", t) for t in new if t not in old
    ]


def _details(
    old: PackagedNote, new: PackagedNote, fields: Sequence[FieldDiff]
) -> list[tuple[str, list[Span]]]:
    """(label, spans) of everything that differs between two versions of a note."""
    rows: list[tuple[str, list[Span]]] = []
    if old.deck != new.deck:
        rows.append(("deck", [Span("delete", old.deck), Span("insert", new.deck)]))
    if old.note_type != new.note_type:
        rows.append(("note type", [Span("delete", old.note_type), Span("insert", new.note_type)]))
    if old.tags != new.tags:
        rows.append(("tags", _tag_spans(old.tags, new.tags)))
    rows += [(field.name, _trimmed(field.spans)) for field in fields]
    return rows


def _text(diff: DeckDiff) -> str:
    if diff.empty:
        return "No card changes.\n"

    def spans(items: Sequence[Span]) -> str:
        marks = {"equal": "{}", "delete": "[-{}-]", "insert": "{{+{}+}}"}
        if all(s.op == "equal" for s in items):
            return "(markup only)"
        return " ".join(marks[s.op].format(s.text) for s in items)

    lines = [_counts(diff)]
    lines += [f"added    {_note_line(n)}" for n in diff.added]
    for change in diff.changed:
        lines.append(f"changed  {_note_line(change.new)}")
        details = _details(change.old, change.new, change.fields)
        lines += [f"    {label}: {spans(items)}" for label, items in details]
    lines += [f"removed  {_note_line(n)}" for n in diff.removed]
    for rename in diff.renames:
        lines.append(
            f"renamed? {_note_line(rename.old)} -> {_note_line(rename.new)} "
            f"({rename.similarity:.0%} similar)"
        )
        lines.append(f"    would reset its review history: {rename_advice(rename)}")
        details = _details(rename.old, rename.new, rename.fields)
        lines += [f"    {label}: {spans(items)}" for label, items in details]
    lines += [f"media added    {name}" for name in diff.media_added]
    lines += [f"media changed  {name}" for name in diff.media_changed]
    lines += [f"media removed  {name}" for name in diff.media_removed]
    return "\n".join(lines) + "\n"


_MD_SPECIAL = re.compile(r"([\\`*_~\[\]|#$])")


def _md(text: str) -> str:
    """Text shown literally in GitHub markdown: no emphasis, links, math or HTML."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def _md_advice(text: str) -> str:
    """Advice in markdown: its `code` spans kept, the rest shown literally."""
    parts = re.split(r"(`[^`]*`)", text)
    return "".join(part if i % 2 else _md(part) for i, part in enumerate(parts))


def _markdown(diff: DeckDiff) -> str:
    if diff.empty:
        return "No card changes.\n"

    def spans(items: Sequence[Span]) -> str:
        marks = {"equal": "{}", "delete": "~~{}~~", "insert": "**{}**"}
        if all(s.op == "equal" for s in items):
            return "*(markup only)*"
        return " ".join(marks[s.op].format(_md(s.text)) for s in items)

    def note(n: PackagedNote) -> str:
        return f"{_md(n.deck)}: **{_md(_short(n.heading))}**"

    out = [f"**{_counts(diff)}**"]

    def section(title: str, lines: list[str]) -> None:
        if lines:
            out.extend(["", f"### {title}", "", *lines])

    section("Added", [f"- {note(n)}" for n in diff.added])
    changed = []
    for change in diff.changed:
        changed.append(f"- {note(change.new)}")
        details = _details(change.old, change.new, change.fields)
        changed += [f"  - {_md(label)}: {spans(items)}" for label, items in details]
    section("Changed", changed)
    section("Removed", [f"- {note(n)}" for n in diff.removed])
    renames = []
    for rename in diff.renames:
        renames.append(
            f"- {note(rename.old)} → {note(rename.new)} ({rename.similarity:.0%} similar): "
            f"importing would reset its review history; {_md_advice(rename_advice(rename))}"
        )
        details = _details(rename.old, rename.new, rename.fields)
        renames += [f"  - {_md(label)}: {spans(items)}" for label, items in details]
    section("Likely renames", renames)
    media = [f"- added `{name}`" for name in diff.media_added]
    media += [f"- changed `{name}`" for name in diff.media_changed]
    media += [f"- removed `{name}`" for name in diff.media_removed]
    section("Media", media)
    return "\n".join(out) + "\n"


def _json(diff: DeckDiff) -> dict[str, Any]:
    def note(n: PackagedNote) -> dict[str, Any]:
        return {
            "guid": n.guid,
            "deck": n.deck,
            "heading": n.heading,
            "note_type": n.note_type,
            "tags": list(n.tags),
            "fields": {name: plain_text(value) for name, value in n.fields.items()},
        }

    def fields(items: Sequence[FieldDiff]) -> list[dict[str, Any]]:
        return [
            {"name": f.name, "spans": [{"op": s.op, "text": s.text} for s in f.spans]}
            for f in items
        ]

    return {
        "summary": {
            "added": len(diff.added),
            "changed": len(diff.changed),
            "removed": len(diff.removed),
            "renames": len(diff.renames),
            "media_added": len(diff.media_added),
            "media_changed": len(diff.media_changed),
            "media_removed": len(diff.media_removed),
        },
        "added": [note(n) for n in diff.added],
        "removed": [note(n) for n in diff.removed],
        "changed": [
            {"old": note(c.old), "new": note(c.new), "fields": fields(c.fields)}
            for c in diff.changed
        ],
        "renames": [
            {
                "old": note(r.old),
                "new": note(r.new),
                "similarity": r.similarity,
                "fields": fields(r.fields),
                "old_identity": r.old_origin.identity if r.old_origin else None,
                "new_location": r.new_origin.location if r.new_origin else None,
                "advice": rename_advice(r),
            }
            for r in diff.renames
        ],
        "media": {
            "added": list(diff.media_added),
            "changed": list(diff.media_changed),
            "removed": list(diff.media_removed),
        },
    }
