"""Crafted notes that once took time growing faster than their size: each at two sizes.

Each pattern is written at a size and at twice (or four times) that size; a reader sees the
seconds grow by about the same factor as the size, not by its square.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ENV = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
CARD = "# D\n\n## A\n\n"


def _note(root: Path, text: str) -> None:
    notes = root / "notes"
    shutil.rmtree(root, ignore_errors=True)
    notes.mkdir(parents=True)
    (notes / "d.md").write_text(text, encoding="utf-8")


def bad_link(root: Path, size: int) -> str:
    _note(root, CARD + "](" + " " * size + "x\n")
    return "check notes"


def many_formulas(root: Path, size: int) -> str:
    _note(root, CARD + "$x$ and\n" * (size // 8))
    return "check notes"


def front_matter_keys(root: Path, size: int) -> str:
    keys = "".join(f"k{n}: v\n" for n in range(size // 8))
    _note(root, f"---\n{keys}---\n" + CARD + "x\n")
    return "check notes"


def unmatched_right(root: Path, size: int) -> str:
    _note(root, CARD + "$" + "{" * (size // 8) + "\\right." * (size // 8) + "$\n")
    return "check notes"


def header_ids(root: Path, size: int) -> str:
    _note(root, "# D\n\n## a" + "{#" * (size // 2) + "\n\nx\n")
    return "check notes"


def attribute_items(root: Path, size: int) -> str:
    """A heading's attribute list of many bad items, then as many spaces."""
    _note(root, "# D\n\n## a {" + ". " * (size // 4) + " " * (size // 2) + "}\n\nx\n")
    return "check notes"


def nested_clozes(root: Path, size: int) -> str:
    _note(root, CARD + "{{c1::" * (size // 8) + "x" + "}}" * (size // 8) + "\n")
    return "build notes -q"


def renamed_deck(root: Path, size: int) -> str:
    """`size` notes built as deck Old, then as deck New with every card edited: `diff`."""
    notes = size // 100
    cards = "".join(
        f"## Card {n}\n\nThe answer {n} is {n * 7919 % 1000}.\n\n" for n in range(notes)
    )
    _note(root, "# Old\n\n" + cards)
    _run(["build", "notes", "-q"], root)
    (built,) = (root / "build").glob("*.apkg")
    built.rename(root / "old.apkg")
    edited = cards.replace(" is ", " is now ")
    (root / "notes" / "d.md").write_text("# New\n\n" + edited, encoding="utf-8")
    _run(["build", "notes", "-q"], root)
    (built,) = (root / "build").glob("*.apkg")
    return f"diff old.apkg build/{built.name}"


PATTERNS: dict[str, tuple[Callable[[Path, int], str], int, str]] = {
    # name: (writer, first size, unit of the size)
    "`](` and spaces": (bad_link, 32 * 1024, "bytes"),
    "many `$x$` in a card": (many_formulas, 512 * 1024, "bytes"),
    "front matter keys": (front_matter_keys, 128 * 1024, "bytes"),
    "`{` then `\\right.`": (unmatched_right, 128 * 1024, "bytes"),
    "`## a{#{#{#...`": (header_ids, 32 * 1024, "bytes"),
    "`## a {. . . ...   }`": (attribute_items, 64 * 1024, "bytes"),
    "nested `{{c1::`": (nested_clozes, 512 * 1024, "bytes"),
    "renamed deck, all edited": (renamed_deck, 60_000, "notes/100"),
}


def _run(args: list[str], cwd: Path) -> float:
    """Seconds for one ankigen command in a fresh process; exit 0 or 1 (problems) is fine."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "ankigen", *args], cwd=cwd, env=ENV, capture_output=True, check=False
    )
    if done.returncode not in (0, 1):
        raise SystemExit(f"ankigen {' '.join(args)} failed:\n{done.stderr.decode()}")
    return time.perf_counter() - start


def hostile_rows(folder: Path, scale: float) -> list[tuple[str, str, float]]:
    """(pattern, size, seconds) for every pattern at two sizes, `scale` times the usual."""
    rows = []
    for name, (write, first, _) in PATTERNS.items():
        for size in (int(first * scale), int(first * scale) * 2):
            root = folder / "hostile"
            command = write(root, size)
            size_text = f"{size // 100} notes" if write is renamed_deck else f"{size // 1024} KB"
            rows.append((name, f"{command.split()[0]} {size_text}", _run(command.split(), root)))
    return rows
