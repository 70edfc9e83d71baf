"""The user's page stays faithful in source_notes/, and its one real mistake is caught."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from .conftest import SEED_NOTES, Project
from .helpers import parse

ORIGINAL = Path(__file__).parent / "fixtures" / "seed-original.md"
SEED = SEED_NOTES / "deep-learning-flashcards.md"


def _headings(text: str) -> list[str]:
    return [m.group(1).strip() for m in re.finditer(r"^#{2,3} (.*)$", text, re.MULTILINE)]


def test_all_forty_cards_of_the_page_are_in_the_deck() -> None:
    cards, diagnostics = parse(SEED.read_text(encoding="utf-8"), root=SEED_NOTES, name=SEED.name)
    assert not diagnostics.items
    assert len(cards) == 40
    expected = [h for h in _headings(ORIGINAL.read_text(encoding="utf-8")) if h != "Probability"]
    assert [c.heading.strip() for c in cards] == expected
    assert [c.deck for c in cards[:2]] == ["Deep Learning Flashcards::Probability"] * 2


def test_the_deck_text_differs_from_the_page_only_by_mends_and_cloze_marks() -> None:
    original = ORIGINAL.read_text(encoding="utf-8")
    ours = SEED.read_text(encoding="utf-8")
    body = ours.split("---\n", 2)[2]  # without the front matter
    body = re.sub(r"\n```plot [a-z-]+\n.*?```\n", "", body, flags=re.DOTALL)  # added pictures
    unmarked = re.sub(r"\{\{c\d+::(.*?)\}\}", r"\1", body)
    unmarked = re.sub(r"==(\S[^=\n]*?)==", r"\1", unmarked)
    mended = original.replace("{\\frac{dL}{d_{wt-w}}$", "{\\frac{dL}{d_{wt-w}}}$")
    assert unmarked == mended


def test_the_original_backprop_formula_is_reported_with_its_line(project: Project) -> None:
    project.root.mkdir()
    (project.root / "notes").mkdir()
    shutil.copy(ORIGINAL, project.root / "notes" / "page.md")
    result = project.build("notes")
    assert result.exit_code == 1
    line = (
        ORIGINAL.read_text(encoding="utf-8")
        .splitlines()
        .index("$w_t = w_{t-1} - learningrate * {\\frac{dL}{d_{wt-w}}$")
        + 1
    )
    assert len(result.problems) == 1
    assert result.problems[0].startswith(f"notes/page.md:{line}:33: error: formula: ")
    assert "brace" in result.problems[0]
