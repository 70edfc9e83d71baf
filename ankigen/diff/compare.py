"""Two decks compared note by note: added, removed, changed (as word diffs), likely renames, media.

Notes are matched by GUID, as Anki's importer matches them. The diff also carries what importing
the new deck does to a student who has the old one, as `effects` decides it.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from ..html_text import field_words
from .effects import ImportEffect, import_effect
from .packages import Origin, PackageContents, PackagedNote

RENAME_SIMILARITY = 0.8  # difflib ratio of two notes' words from which a pair is a likely rename


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
    effect: ImportEffect | None = None  # what importing it does to a student with the old deck

    @property
    def empty(self) -> bool:
        cards = (self.added, self.removed, self.changed, self.renames)
        return not any((*cards, self.media_added, self.media_removed, self.media_changed))


def word_diff(old_html: str, new_html: str) -> tuple[Span, ...]:
    """The words of two versions of a field as equal, deleted and inserted runs."""
    old, new = field_words(old_html), field_words(new_html)
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
    """What importing `new` over `old` adds, removes and changes, and what Anki will and will not
    do about it; origins improve rename advice and locate the warnings."""
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
    removed_only = tuple(sorted((n for n in removed if n.guid not in paired), key=_order))
    renames.sort(key=lambda r: _order(r.new))
    return DeckDiff(
        added=tuple(sorted((n for n in added if n.guid not in paired), key=_order)),
        removed=removed_only,
        changed=tuple(sorted(changed, key=lambda c: _order(c.new))),
        renames=tuple(renames),
        media_added=tuple(sorted(new.media.keys() - old.media.keys())),
        media_removed=tuple(sorted(old.media.keys() - new.media.keys())),
        media_changed=tuple(
            sorted(n for n in old.media.keys() & new.media.keys() if old.media[n] != new.media[n])
        ),
        effect=import_effect(old, new, removed_only, renames, old_ids or {}, new_ids or {}),
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
    left = [n for n in removed if n.guid not in paired]
    alike = _sharing_rare_words([texts[n.guid] for n in left], [texts[n.guid] for n in rest])
    for before, indexes in zip(left, alike, strict=True):
        matcher = difflib.SequenceMatcher(None, autojunk=False)
        matcher.set_seq2(texts[before.guid])
        for after in (rest[i] for i in sorted(indexes)):
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


def _sharing_rare_words(
    olds: Sequence[tuple[str, ...]], news: Sequence[tuple[str, ...]]
) -> list[set[int]]:
    """For each old text, the new texts that may be RENAME_SIMILARITY alike: not every pair.

    A prefix filter: with words counted as (word, occurrence) and each text's sorted rarest
    first, two texts whose quick ratio reaches 0.8 share at least 2/3 of the longer one's
    words, so they share one among the first third (and one) of each; and no more words than
    follow the first shared one. Comparing only texts that pass finds every pair the pairwise
    comparison found.
    """

    def words(text: tuple[str, ...]) -> list[tuple[str, int]]:
        seen: dict[str, int] = {}
        counted = []
        for word in text:
            seen[word] = seen.get(word, 0) + 1
            counted.append((word, seen[word]))
        return counted

    old_words, new_words = [words(t) for t in olds], [words(t) for t in news]
    frequency: dict[tuple[str, int], int] = {}
    for counted in (*old_words, *new_words):
        for word in counted:
            frequency[word] = frequency.get(word, 0) + 1

    def prefix(counted: list[tuple[str, int]]) -> list[tuple[str, int]]:
        rarest = sorted(counted, key=lambda w: (frequency[w], w))
        return rarest[: len(rarest) - (2 * len(rarest)) // 3 + 1]

    # word -> (its place in a new text's prefix, that text's length) -> the new texts
    index: dict[tuple[str, int], dict[tuple[int, int], list[int]]] = {}
    for number, counted in enumerate(new_words):
        for j, word in enumerate(prefix(counted)):
            index.setdefault(word, {}).setdefault((j, len(counted)), []).append(number)
    alike: list[set[int]] = []
    for counted in old_words:
        kept: set[int] = set()
        for i, word in enumerate(prefix(counted)):
            for (j, length), numbers in index.get(word, {}).items():
                # No word before the first shared one (in either order) is shared, so at most
                # it and those after it are; a later shared word gives a lower bound still.
                most = 1 + min(len(counted) - 1 - i, length - 1 - j)
                if 2.0 * most / (len(counted) + length) >= RENAME_SIMILARITY:
                    kept.update(numbers)
        alike.append(kept)
    return alike


def rename_advice(rename: Rename) -> str:
    """What to write in the notes so that the renamed card keeps its GUID and review history."""
    from ..parse import VALID_ID

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
