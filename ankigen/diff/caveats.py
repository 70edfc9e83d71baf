"""The caveats of a diff: changes Anki will not carry to a student who has the old release, each
worded with what to do about it, and the order they are read in.

`effects` decides which caveats a release has; this module holds their kinds and their wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..errors import Location
from ..plural import counted
from .packages import PackagedNote

CaveatKind = Literal[
    "deck_changed",
    "note_type_changed",
    "cloze_removed",
    "note_removed",
    "namespace_changed",
    "updated_unchanged",
    "change_not_newer",
]


Place = tuple[Location | None, str]  # a caveat's location, else the file its package names


@dataclass(frozen=True)
class Caveat:
    """A change Anki will not carry to a student who has the old release, and what to do."""

    kind: CaveatKind
    heading: str  # the card's, or "" when the caveat is about many notes
    message: str
    location: Location | None = None  # the card's heading (a removed note's: where it was)
    source: str = ""  # what the package tells of the card's file when its location is unknown

    @property
    def where(self) -> str:
        """`path:line` where known, else the note file as the package names it, else ""."""
        if self.location is not None:
            return f"{self.location.path}:{self.location.line}"
        return self.source


def reading_order(caveat: Caveat) -> tuple[int, Location, str, str]:
    """Located caveats by place, then those the package names by file, then the deck-wide."""
    rank = 0 if caveat.location else 1 if caveat.source else 2
    return rank, caveat.location or Location(""), caveat.source, caveat.heading


def deck_changed(before: PackagedNote, after: PackagedNote, where: Place) -> Caveat:
    return Caveat(
        "deck_changed",
        after.heading,
        f"moves from deck `{before.deck}` to `{after.deck}`, but Anki never moves cards: "
        f"students who have it keep it in `{before.deck}`; keep it there, or tell them to move "
        "it (Browse > Change Deck)",
        *where,
    )


# Kind changes that "Merge note types" on import carries out in place, keeping the note, its
# card and its reviews: the new note type holds the Basic's fields and first template, ids and
# all. Measured with Anki's importer (docs/releases.md, *Changing a card's kind*).
_MERGEABLE = {
    ("ankigen Basic", "ankigen Basic (and reversed)"): "adds the reverse card",
    ("ankigen Basic", "ankigen Type-in"): "adds the answer box",
}


def note_type_changed(before: PackagedNote, after: PackagedNote, where: Place) -> Caveat:
    change = f"its note type changes from `{before.note_type}` to `{after.note_type}`"
    merged = _MERGEABLE.get((before.note_type, after.note_type))
    if merged is not None:
        message = (
            f"{change}: with the default import options Anki keeps students' old note and never "
            'updates it again; importing this release once with "Merge note types" checked '
            f"keeps the note, its card and its reviews and {merged} (Anki then asks for a "
            "one-way sync); say so in the release notes, or give the card a new `{#id}` (its "
            "review history restarts)"
        )
    else:
        message = (
            f"{change}, which Anki refuses on this and every later import; give the card a new "
            "`{#id}` so that it arrives as a new note (its review history restarts), and tell "
            "students to delete the old one"
        )
        if "Cloze" not in before.note_type + after.note_type:
            message += (
                f' (and not to import it with "Merge note types": that gives '
                f"`{after.note_type}` the templates or fields of `{before.note_type}`, and later "
                "imports then stop updating every note of it)"
            )
    return Caveat("note_type_changed", after.heading, message, *where)


def fields_changed(
    note_type: str, before: tuple[str, ...], after: tuple[str, ...], count: int
) -> Caveat:
    return Caveat(
        "note_type_changed",
        "",
        f"note type `{note_type}` has the fields {', '.join(after)} instead of "
        f"{', '.join(before)}: Anki adds a second note type `{note_type}+` and stops "
        f"updating the {counted(count, 'note')} of the old one; keep the fields as they were",
    )


def change_not_newer(note: PackagedNote, where: Place) -> Caveat:
    return Caveat(
        "change_not_newer",
        note.heading,
        "its fields or tags change, but its time is not newer than in the old release, so Anki "
        "keeps students' old version; the release must give it a later time",
        *where,
    )


def clozes_removed(note: PackagedNote, ordinals: list[int], where: Place) -> Caveat:
    numbers = ", ".join(f"c{o + 1}" for o in ordinals)
    first = ordinals[0] + 1
    return Caveat(
        "cloze_removed",
        note.heading,
        f"cloze {numbers} removed: students who have it keep an empty card that shows "
        f'"No cloze {first} found on card" until they run Tools > Empty Cards; say so in the '
        "release notes, or keep the number",
        *where,
    )


def note_removed(note: PackagedNote, where: Place) -> Caveat:
    was = " (this is where it was)" if where[0] else ""
    return Caveat(
        "note_removed",
        note.heading,
        f"removed{was}, but Anki never deletes notes: it stays in the collections of students "
        "who have it; say so in the release notes, so that they can delete it",
        *where,
    )


def updated_unchanged(count: int) -> Caveat:
    their, them = ("its", "it") if count == 1 else ("their", "them")
    return Caveat(
        "updated_unchanged",
        "",
        f"{counted(count, 'note')} will be updated though {their} fields, tags and note type are "
        f"the same, because {their} time is newer: Anki replaces students' own edits and tags on "
        f"{them}; a note's time should move only when the note changes",
    )


def namespace_changed(was: str, now: str, path: str, count: int) -> Caveat:
    """The notes of the file at `path` lost their GUIDs: its namespace went from `was` to `now`."""
    return Caveat(
        "namespace_changed",
        "",
        f"the namespace of its notes changes from `{was}` to `{now}`, so Anki takes its "
        f"{counted(count, 'note')} for new ones and every student who has the old release gets a "
        f'second copy; pin `namespace: {was}` in its front matter (or `namespace = "{was}"` in '
        "the configuration)",
        Location(path),
    )


def deck_guids_changed(count: int, deck: str, source: str) -> Caveat:
    """`count` notes of `deck` have new GUIDs but the same files and headings (no origins known)."""
    return Caveat(
        "namespace_changed",
        "",
        f"{count} notes of deck `{deck}` have new GUIDs though their files and headings are the "
        "same: their namespace changed (a renamed deck?), so every student who has the old "
        "release gets a second copy; pin the old namespace with `namespace:` in the front matter "
        "or the configuration",
        source=source,
    )
