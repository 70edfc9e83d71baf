"""The floor: the same notes split on headings and written with genanki, without rendering.

Usage: python bench/floor.py NOTES_DIR OUTPUT.apkg
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import genanki

HEADING = re.compile(r"^#{2,6} (.+)$", re.MULTILINE)


def main(notes_dir: Path, output: Path) -> None:
    model = genanki.Model(
        1607392319,
        "Floor",
        fields=[{"name": "Front"}, {"name": "Back"}],
        templates=[{"name": "Card 1", "qfmt": "{{Front}}", "afmt": "{{FrontSide}}<hr>{{Back}}"}],
    )
    deck = genanki.Deck(2059400110, "Floor")
    for path in sorted(notes_dir.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        parts = HEADING.split(text)
        for front, back in zip(parts[1::2], parts[2::2], strict=True):
            if back.strip():
                deck.add_note(genanki.Note(model=model, fields=[front, back], guid=front))
    genanki.Package(deck).write_to_file(output, timestamp=1_700_000_000)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
