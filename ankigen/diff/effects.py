"""What importing a new release does to a student who has the old one, by Anki's rules.

Anki matches notes by GUID. A matched note is updated only when the incoming note's time is
strictly newer, and never when its note type changed: the importer calls it conflicting, on this
and every later import. Anki deletes no note and moves no card to another deck. Where the notes
carry no times (a revision's notes, not a package), a note counts as updated when its fields or
tags changed: ankigen moves a note's time exactly then.

The caveats found on the way are worded in `caveats`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import Location
from ..html_text import plain_text
from ..plural import counted
from .caveats import (
    Caveat,
    Place,
    change_not_newer,
    clozes_removed,
    deck_changed,
    deck_guids_changed,
    fields_changed,
    namespace_changed,
    note_removed,
    note_type_changed,
    reading_order,
    updated_unchanged,
)
from .packages import Origin, PackageContents, PackagedNote

if TYPE_CHECKING:
    from .compare import Rename


@dataclass(frozen=True)
class ImportEffect:
    """The import log a student would see, and what it will not bring them."""

    added: int
    updated: int
    left_alone: int  # the old notes not updated: unchanged, conflicting or removed
    conflicting: int  # a changed note type: never updated
    removed: int  # not in the new release, so left as they are
    by_times: bool  # True: by the notes' times, as Anki decides; False: by what changed
    caveats: tuple[Caveat, ...]


def import_effect(
    old: PackageContents,
    new: PackageContents,
    removed: Sequence[PackagedNote],
    renames: Sequence[Rename],
    old_ids: Mapping[str, Origin],
    new_ids: Mapping[str, Origin],
) -> ImportEffect:
    """What Anki does importing `new` over `old`; `removed` are the removed notes that are not
    likely renames (those have advice of their own)."""
    by_times = all(n.modified is not None for n in (*old.notes.values(), *new.notes.values()))
    caveats: list[Caveat] = []
    updated = conflicting = 0
    unchanged_but_updated = 0
    reshaped: dict[tuple[str, tuple[str, ...], tuple[str, ...]], int] = {}

    def at(note: PackagedNote, ids: Mapping[str, Origin]) -> Place:
        origin = ids.get(note.guid)
        return (_location(origin), "") if origin else (None, _source(note) or note.deck)

    for guid, before in old.notes.items():
        after = new.notes.get(guid)
        if after is None:
            continue
        where = at(after, new_ids)
        if before.deck != after.deck:
            caveats.append(deck_changed(before, after, where))
        if before.note_type != after.note_type:
            conflicting += 1
            caveats.append(note_type_changed(before, after, where))
            continue
        if tuple(before.fields) != tuple(after.fields):
            conflicting += 1
            shape = (after.note_type, tuple(before.fields), tuple(after.fields))
            reshaped[shape] = reshaped.get(shape, 0) + 1
            continue
        changed = before.fields != after.fields or before.tags != after.tags
        if by_times and after.modified is not None and before.modified is not None:
            newer = after.modified > before.modified
        else:
            newer = changed
        if newer:
            updated += 1
            unchanged_but_updated += not changed
            if gone := sorted(set(before.ordinals) - set(after.ordinals)):
                caveats.append(clozes_removed(after, gone, where))
        elif changed:
            caveats.append(change_not_newer(after, where))
    caveats += [fields_changed(*shape, count) for shape, count in sorted(reshaped.items())]
    if unchanged_but_updated:
        caveats.append(updated_unchanged(unchanged_but_updated))
    namespaced, duplicated = _namespace_changes(old, new, renames, old_ids, new_ids)
    caveats += namespaced
    caveats += [
        note_removed(note, at(note, old_ids)) for note in removed if note.guid not in duplicated
    ]
    left_out = sum(guid not in new.notes for guid in old.notes)
    caveats.sort(key=reading_order)
    return ImportEffect(
        added=sum(guid not in old.notes for guid in new.notes),
        updated=updated,
        left_alone=len(old.notes) - updated,
        conflicting=conflicting,
        removed=left_out,
        by_times=by_times,
        caveats=tuple(caveats),
    )


def effect_line(effect: ImportEffect) -> str:
    """The first line of a diff: the counts of the import log a student would see."""
    rule = (
        "by note times, as Anki decides"
        if effect.by_times
        else "by changed fields, tags and note types"
    )
    return (
        f"Anki will add {counted(effect.added, 'note')}, update {effect.updated} and leave "
        f"{effect.left_alone} alone for a student who has the old release ({rule})."
    )


def _location(origin: Origin) -> Location:
    path, _, line = origin.location.rpartition(":")
    return Location(path, int(line)) if line.isdigit() else Location(origin.location)


def _namespace_changes(
    old: PackageContents,
    new: PackageContents,
    renames: Sequence[Rename],
    old_ids: Mapping[str, Origin],
    new_ids: Mapping[str, Origin],
) -> tuple[list[Caveat], set[str]]:
    """Caveats for notes that lost their GUID to a changed namespace, and those notes' old GUIDs.

    With origins, a pair is a card of the same file and identity, or a likely rename, whose
    namespace differs. From packages alone it is a card of the same file and heading with a new
    GUID, and at least two of them in a deck, as a renamed deck gives.
    """
    lost = [n for guid, n in old.notes.items() if guid not in new.notes]
    fresh = [n for guid, n in new.notes.items() if guid not in old.notes]
    caveats, duplicated = [], set()
    if old_ids and new_ids:
        groups: dict[tuple[str, str, str], list[PackagedNote]] = {}
        by_key = {(_source(n), old_ids[n.guid].identity): n for n in lost if n.guid in old_ids}
        pairs = [
            (before, after)
            for after in fresh
            if after.guid in new_ids
            and (before := by_key.get((_source(after), new_ids[after.guid].identity)))
        ]
        pairs += [(r.old, r.new) for r in renames]
        for before, after in pairs:
            was, now = old_ids.get(before.guid), new_ids.get(after.guid)
            if was is None or now is None or was.namespace == now.namespace:
                continue
            if before.guid in duplicated:
                continue
            duplicated.add(before.guid)
            path = _location(now).path
            groups.setdefault((was.namespace, now.namespace, path), []).append(before)
        for (was_ns, now_ns, path), notes in sorted(groups.items()):
            caveats.append(namespace_changed(was_ns, now_ns, path, len(notes)))
        return caveats, duplicated
    by_heading = {(_source(n), n.heading): n for n in lost}
    decks: dict[tuple[str, str], list[tuple[PackagedNote, PackagedNote]]] = {}
    for after in fresh:
        if before := by_heading.get((_source(after), after.heading)):
            top = (before.deck.split("::")[0], after.deck.split("::")[0])
            decks.setdefault(top, []).append((before, after))
    for (was_deck, _), pairs in sorted(decks.items()):
        if len(pairs) < 2:
            continue
        duplicated |= {before.guid for before, _ in pairs}
        caveats.append(deck_guids_changed(len(pairs), was_deck, _source(pairs[0][1]) or was_deck))
    return caveats, duplicated


def _source(note: PackagedNote) -> str:
    """The note file's path inside its notes folder, as its Source field tells it."""
    return plain_text(note.fields.get("Source", ""))
