"""A deck diff written out as `text` (terminal), `markdown` (a pull request's summary) or `json`.

Each starts with what importing the new deck does to a student who has the old one, and the
warnings for what Anki will not do.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import problem_line
from ..html_text import plain_text
from ..plural import counted
from .caveats import Caveat
from .compare import DeckDiff, FieldDiff, Span, rename_advice
from .effects import effect_line
from .packages import PackagedNote

CONTEXT_WORDS = 6  # unchanged words shown around a change in text and markdown
FORMATS = ("text", "markdown", "json")


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
    return ", ".join(counted(n, one, many) for n, one, many in parts if n)


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


def _spans(
    items: Sequence[Span], marks: dict[str, str], shown: Callable[[str], str], markup_only: str
) -> str:
    """A field's word diff in one format: each span's text `shown`, then marked by its op;
    `markup_only` when no word changed."""
    if all(s.op == "equal" for s in items):
        return markup_only
    return " ".join(marks[s.op].format(shown(s.text)) for s in items)


def _caveats(diff: DeckDiff) -> tuple[Caveat, ...]:
    return diff.effect.caveats if diff.effect else ()


def _text(diff: DeckDiff) -> str:
    def spans(items: Sequence[Span]) -> str:
        marks = {"equal": "{}", "delete": "[-{}-]", "insert": "{{+{}+}}"}
        return _spans(items, marks, str, "(markup only)")

    def warning(caveat: Caveat) -> str:
        about = ": ".join(part for part in (caveat.heading, caveat.message) if part)
        return problem_line(caveat.where, "warning", about)

    lines = [effect_line(diff.effect)] if diff.effect else []
    lines.append("No card changes." if diff.empty else _counts(diff))
    lines += [warning(caveat) for caveat in _caveats(diff)]
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
    def spans(items: Sequence[Span]) -> str:
        marks = {"equal": "{}", "delete": "~~{}~~", "insert": "**{}**"}
        return _spans(items, marks, _md, "*(markup only)*")

    def note(n: PackagedNote) -> str:
        return f"{_md(n.deck)}: **{_md(_short(n.heading))}**"

    def warning(caveat: Caveat) -> str:
        where = f"{_md(caveat.where)}: " if caveat.where else ""
        heading = f"**{_md(_short(caveat.heading))}**: " if caveat.heading else ""
        return f"- {where}{heading}{_md_advice(caveat.message)}"

    out = [f"**{_md(effect_line(diff.effect))}**", ""] if diff.effect else []
    out.append("No card changes." if diff.empty else f"**{_counts(diff)}**")

    def section(title: str, lines: list[str]) -> None:
        if lines:
            out.extend(["", f"### {title}", "", *lines])

    section("Warnings", [warning(caveat) for caveat in _caveats(diff)])

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

    effect = diff.effect
    return {
        "import": None
        if effect is None
        else {
            "added": effect.added,
            "updated": effect.updated,
            "left_alone": effect.left_alone,
            "conflicting": effect.conflicting,
            "removed": effect.removed,
            "rule": "times" if effect.by_times else "changes",
        },
        "warnings": [
            {
                "kind": c.kind,
                "where": c.where,
                "path": c.location.path if c.location else None,
                "line": c.location.line if c.location else None,
                "heading": c.heading,
                "message": c.message,
            }
            for c in _caveats(diff)
        ],
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
