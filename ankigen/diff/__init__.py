"""Compare two decks note by note: added, removed, changed (as word diffs), likely renames, media,
and what importing the new deck does to a student who has the old one.

A deck is read from an .apkg (sqlite inside a zip, the legacy schema genanki writes) or taken
straight from the notes of a build. Notes are matched by GUID, as Anki's importer matches them.

`packages` reads the decks, `compare` diffs them, `effects` applies Anki's import rules,
`caveats` words what Anki will not carry over, and `formats` writes the diff out.
"""

from __future__ import annotations

from ..html_text import plain_text
from .caveats import Caveat
from .compare import (
    RENAME_SIMILARITY,
    DeckDiff,
    FieldDiff,
    NoteChange,
    Rename,
    Span,
    diff_contents,
    rename_advice,
    word_diff,
)
from .effects import ImportEffect, effect_line, import_effect
from .formats import CONTEXT_WORDS, FORMATS, format_diff
from .packages import (
    Origin,
    PackageContents,
    PackagedNote,
    contents_from_notes,
    origins_from_notes,
    read_package,
)

__all__ = [
    "CONTEXT_WORDS",
    "FORMATS",
    "RENAME_SIMILARITY",
    "Caveat",
    "DeckDiff",
    "FieldDiff",
    "ImportEffect",
    "NoteChange",
    "Origin",
    "PackageContents",
    "PackagedNote",
    "Rename",
    "Span",
    "contents_from_notes",
    "diff_contents",
    "effect_line",
    "format_diff",
    "import_effect",
    "origins_from_notes",
    "plain_text",
    "read_package",
    "rename_advice",
    "word_diff",
]
