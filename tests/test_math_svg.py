"""`math = "svg"`: formulas drawn as pictures at build time, MathJax kept as the fallback."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ankigen import drawing
from ankigen.mathsvg import draw_formula, formula_job

from .conftest import SEED_NOTES, Project, import_apkg


def test_a_formula_becomes_a_deterministic_svg_with_its_metrics() -> None:
    first = draw_formula(("-\\sum_{c=1}^M y_{o,c}\\log(p_{o,c})", False))
    again = draw_formula(("-\\sum_{c=1}^M y_{o,c}\\log(p_{o,c})", False))
    assert first.data == again.data
    root = ET.fromstring(first.data)
    assert root.tag.endswith("svg")
    meta = first.meta
    assert meta["ext"] == ".svg"
    assert meta["height"] > 2 * meta["depth"] > 0  # the sum's limits reach above and below
    assert draw_formula(("x", False)).meta["depth"] < 0.1  # an x sits on the baseline
    assert formula_job("x", False).key != formula_job("x", True).key


def test_what_mathtext_cannot_draw_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="begin"):
        draw_formula(("\\begin{aligned} a &= b \\end{aligned}", True))


def test_svg_build_draws_formulas_and_falls_back_with_a_located_warning(project: Project) -> None:
    project.write("ankigen.toml", 'math = "svg"\n')
    project.write(
        "source_notes/d.md",
        """
        # D

        ## Loss

        The loss $\\mathcal{L} = -\\log p$ and

        $$
        \\begin{aligned} a &= b \\\\ c &= d \\end{aligned}
        $$

        ## Cloze

        The square: $x^{{c1::2}}$
        """,
    )
    result = project.build()
    assert result.exit_code == 0, result.stderr
    assert result.problems == [
        "source_notes/d.md:7:1: warning: formula cannot be drawn as SVG (mathtext: Unknown "
        "symbol: \\begin); it is left to MathJax"
    ]
    strict = project.build("--strict")
    assert strict.exit_code == 1


@pytest.fixture(scope="module")
def svg_seed(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from anki.collection import Collection

    project = Project(tmp_path_factory.mktemp("svg-seed"))
    shutil.copytree(SEED_NOTES, project.root / "source_notes")
    project.write("ankigen.toml", 'math = "svg"\n')
    result = project.build()
    assert result.exit_code == 0, result.stderr
    col = Collection(str(project.root / "collection.anki2"))
    import_apkg(col, project.apkg("deep-learning-flashcards"))
    yield project, col
    col.close()


def test_seed_deck_with_svg_formulas_in_anki(svg_seed) -> None:  # type: ignore[no-untyped-def]
    _, col = svg_seed
    (card,) = [col.get_card(c) for c in col.find_cards('"Front:Cross-Entropy Loss (log loss)"')]
    answer = card.render_output().answer_text
    assert "\\(" not in answer and "\\[" not in answer
    images = re.findall(
        r'<img class="ankigen-math" src="([^"]+)" alt="([^"]*)" style="([^"]*)"', answer
    )
    assert [alt for _, alt, _ in images] == [
        "- (y * log(p) + (1 - y) log(1 - p))",
        "-\\sum_{c=1}^My_{o,c}\\log(p_{o,c})",
    ]
    for name, _, style in images:
        assert re.fullmatch(r"height:[0-9.]+em;vertical-align:-[0-9.]+em", style)
        assert (Path(col.media.dir()) / name).read_bytes().startswith(b"<?xml")
    check = col.media.check()
    assert not check.missing and not check.unused
    assert "img.ankigen-math" in card.render_output().css
    # Anki's search still finds a card by the TeX of its formula
    assert col.find_cards('"sum_{c=1}^My"') == [card.id]


def test_rebuild_with_svg_formulas_draws_nothing(svg_seed, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    project, _ = svg_seed
    before = project.apkg("deep-learning-flashcards").read_bytes()

    def refuse(jobs):  # type: ignore[no-untyped-def]
        assert not jobs, "nothing should be drawn again"
        return []

    monkeypatch.setattr(drawing, "_draw", refuse)
    assert project.build().exit_code == 0
    assert project.apkg("deep-learning-flashcards").read_bytes() == before
