"""Formulas that attack the card: refused by `check` and `build`, and shown to do harm unrefused.

tests/texcheck/hostile.txt lists them with what MathJax 3.2.2 makes of each when nothing refuses
it. In headless Chromium, with Anki's build (`tex-chtml-full`) and the preview's (`tex-svg`), one
page per build typesets every formula the checker passes (the seed deck's and valid.txt's), then
every hostile one: each hostile formula does the harm listed, so the list means something, and
no formula that passes does any.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ankigen.config import Config
from ankigen.errors import Diagnostics
from ankigen.parse import parse_file
from ankigen.sources import discover
from ankigen.texcheck import check_tex, unsafe_tex
from ankigen.texcheck.cloze_sides import cloze_sides
from ankigen.texcheck.fields import field_strings, spans, text_formulas

from .conftest import SEED_NOTES, Project
from .preview.chromium import Browser
from .preview.formula_dom import ANKI_BUILD, PREVIEW_BUILD, typeset

DATA = Path(__file__).parent / "texcheck"
BUILDS = {"chtml": ANKI_BUILD, "svg": PREVIEW_BUILD}


def _lines(name: str) -> list[str]:
    text = (DATA / name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line and not line.startswith("%%")]


HOSTILE = [tuple(line.split("\t")) for line in _lines("hostile.txt")]


def _seed_formulas() -> list[str]:
    """Every formula of the seed deck, `$...$` or made by the text, as the checker reads it."""
    diagnostics = Diagnostics()
    cards = [
        card
        for source in discover([SEED_NOTES], diagnostics)
        for card in parse_file(source, Config(), diagnostics)
    ]
    formulas = [formula.tex for card in cards for formula in card.formulas]
    texts = [t for card in cards for t in text_formulas(card.body, False, card.source)]
    return formulas + texts


def _passing() -> list[str]:
    """What MathJax receives from the formulas that pass the check: each side of each card."""
    formulas = [*_seed_formulas(), *_lines("valid.txt")]
    assert all(not unsafe_tex(tex) for tex in formulas)
    sides = dict.fromkeys(text for tex in formulas for _, text, _ in cloze_sides(tex))
    return list(sides)


def _expected(effects: str, build: str) -> list[str]:
    """The effects hostile.txt lists for `build`: `class` in both, `svg:class` in one."""
    found = []
    for token in effects.split():
        where, _, effect = token.rpartition(":")
        if effect != "-" and where in ("", build):
            found.append(effect)
    return sorted(found)


def test_the_corpus_covers_every_harm() -> None:
    assert len(HOSTILE) >= 35 and all(len(case) == 4 for case in HOSTILE)
    harms = {e for case in HOSTILE for b in BUILDS for e in _expected(case[3], b)}
    assert harms == {"javascript", "url", "fixed", "class", "id"}


@pytest.mark.parametrize(("tex", "offset", "word", "effects"), HOSTILE)
def test_hostile_formula_is_refused(tex: str, offset: str, word: str, effects: str) -> None:
    refused = unsafe_tex(tex)
    at = [p for p in refused if p.offset == int(offset)]
    assert at, f"nothing refused at {offset} ({tex[int(offset) :][:12]!r}): {refused}"
    assert any(word.lower() in p.message.lower() for p in at), at
    assert all(p.severity == "error" for p in refused)
    assert set(refused) <= set(check_tex(tex))


def test_check_and_build_refuse_each_hostile_formula_at_its_line(project: Project) -> None:
    lines, where = ["# Hostile", ""], {}
    for n, (tex, *_) in enumerate(HOSTILE, 1):
        lines += [f"## Card {n}", "", "$$"]
        where[len(lines) + 1] = tex
        lines += [tex, "$$", ""]
    project.write("source_notes/d.md", "\n".join(lines))
    runs = {"check": project.run("check"), "build": project.build()}
    for command, run in runs.items():
        assert run.exit_code == 1, command
        errors = [p for p in run.problems if ": error: formula: " in p]
        located = {int(p.split(":")[1]) for p in errors if p.startswith("source_notes/d.md:")}
        assert located == set(where), (command, sorted(set(where) - located))
    assert runs["check"].problems == runs["build"].problems
    assert not project.apkg("hostile").exists()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    chromium = Browser(tmp_path_factory.mktemp("chromium") / "profile")
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def typeset_pages(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Each build's effects for the passing formulas, then for the hostile ones, unrefused.

    The preview's build comes last: the page stays open for the tests that typeset more.
    """
    folder = tmp_path_factory.mktemp("formula-pages")
    passing = _passing()
    pages = {
        name: typeset(browser, folder, build, [*passing, *(c[0] for c in HOSTILE)])
        for name, build in BUILDS.items()
    }
    return {"passing": len(passing), **pages}


@pytest.mark.parametrize("build", BUILDS)
def test_unrefused_hostile_formulas_do_the_harm_listed(
    typeset_pages: dict[str, object], build: str
) -> None:
    effects = typeset_pages[build][typeset_pages["passing"] :]  # type: ignore[index]
    harm = [[e for e in found if e != "error"] for found in effects]
    wrong = [
        (case[0], got, _expected(case[3], build))
        for case, got in zip(HOSTILE, harm, strict=True)
        if got != _expected(case[3], build)
    ]
    assert wrong == []


@pytest.mark.parametrize("build", BUILDS)
def test_formulas_that_pass_the_check_do_no_harm(
    typeset_pages: dict[str, object], build: str
) -> None:
    count: int = typeset_pages["passing"]  # type: ignore[assignment]
    assert count > 150
    passing = _passing()
    effects = typeset_pages[build][:count]  # type: ignore[index]
    # no harm, and no MathJax error either: the checker passes what MathJax typesets
    assert [(tex, got) for tex, got in zip(passing, effects, strict=True) if got] == []


def test_formulas_made_by_the_text_are_refused_by_check_and_build_alike(project: Project) -> None:
    project.write(
        "source_notes/d.md",
        "# D\n\n## Escaped\n\nsee \\\\(\\let\\h\\href \\h{javascript:alert(1)}{x}\\\\) here\n\n"
        '## In code\n\n```\n\\(\\mmlToken{mi}[href="javascript:alert(2)"]{x}\\)\n```\n\n'
        "## Fine\n\nsee \\\\(\\href{https://example.org}{x}\\\\) and $\\bbox[yellow,2px]{y}$\n",
    )
    check, build = project.run("check"), project.build()
    assert check.exit_code == build.exit_code == 1
    assert check.problems == build.problems
    assert [p.split(": error: ")[0] for p in check.problems] == [
        "source_notes/d.md:3:4",  # the `\let` and the `\href` it renames
        "source_notes/d.md:3:4",
        "source_notes/d.md:7:4",
    ]


def test_formulas_in_allowed_html_are_refused_by_check_and_build_alike(project: Project) -> None:
    project.write("ankigen.toml", "allow_html = true\n")
    project.write(
        "source_notes/d.md",
        "# D\n\n## Raw\n\n<div>\\(\\class{pv-bar}{x}\\)</div>\n\n## Fine\n\nx\n",
    )
    check, build = project.run("check"), project.build()
    assert check.exit_code == build.exit_code == 1
    assert check.problems == build.problems
    assert [p.split(": error: ")[0] for p in check.problems] == ["source_notes/d.md:3:4"]


def test_a_formula_in_a_note_file_name_is_refused_by_check_and_build_alike(
    project: Project,
) -> None:
    """The Source field shows the file's path on the card, where MathJax reads it too."""
    project.write("source_notes/a\\(\\class{pv-bar}{x}\\).md", "# D\n\n## Card\n\nbody\n")
    project.write("source_notes/b\\(x\\).md", "# E\n\n## Card\n\nbody\n")
    check, build = project.run("check"), project.build()
    assert check.exit_code == build.exit_code == 1
    assert check.problems == build.problems
    assert [p.split(": error: ") for p in check.problems] == [
        [
            "source_notes/a\\(\\class{pv-bar}{x}\\).md:3:4",
            "formula: `\\class` is not allowed in notes: it would style the card itself",
        ]
    ]


def test_every_unsafe_problem_is_kept_past_the_cap_on_problems() -> None:
    tex = "\\nosuch " * 40 + "\\class{pv-bar}{x}"
    problems = check_tex(tex)
    assert len([p for p in problems if not p.unsafe]) == 20
    assert [p.offset for p in unsafe_tex(tex)] == [tex.index("\\class")]


RUNS = [
    "\\(\\class{a}{<em>x</em>}\\)",
    '\\(\\class{a}{x}<a href="https://example.org">y</a>\\)',
    "\\(\\class{a}{x}<br>y\\)",
    "\\(\\class{a}{x}<br/>y\\)",
    "\\(\\class{a}{x}<!-- c -->y\\)",
    "\\(\\class{a}{x}<wbr>y\\)",
    '\\(\\class{a}{x}<span class="cloze">y</span>\\)',
    "<code>\\(\\class{a}{x}\\)</code>",
    "<b>\\(\\class{a}{x}\\)</b> and \\[y &amp; z\\]",
    "\\(a &lt; b\\)<img src=x.png>\\(c\\)",
]


def test_the_field_check_sees_every_formula_mathjax_finds(
    typeset_pages: dict[str, object], browser: Browser
) -> None:
    """MathJax reads formulas in runs of text joined only across <br> and comments."""
    script = """(async (cases) => {
      const found = [];
      for (const html of cases) {
        const box = document.createElement("div");
        box.innerHTML = html;
        document.body.append(box);
        await MathJax.typesetPromise([box]);
        found.push(box.querySelectorAll("mjx-container").length);
      }
      return found;
    })(%s)"""
    typeset_by_mathjax = browser.evaluate(script % json.dumps(RUNS))
    seen = [sum(1 for run in field_strings(html) for _ in spans(run)) for html in RUNS]
    assert [min(m, s) for m, s in zip(typeset_by_mathjax, seen, strict=True)] == typeset_by_mathjax
    assert typeset_by_mathjax == [0, 0, 1, 1, 1, 1, 0, 0, 2, 2]  # <code> is skipped by MathJax


def test_anki_shows_a_deck_name_on_the_card_as_html(collection: object) -> None:
    """Why deck names are checked: {{Deck}} in our templates puts the name into the card as it
    is, where the browser reads its markup and MathJax its formulas."""
    col = collection
    deck = col.decks.id(r"D <b>bold</b> \(\class{x}{y}\)")  # type: ignore[attr-defined]
    model = col.models.by_name("Basic")  # type: ignore[attr-defined]
    model["tmpls"][0]["qfmt"] = "{{Deck}}"
    col.models.save(model)  # type: ignore[attr-defined]
    note = col.new_note(model)  # type: ignore[attr-defined]
    note["Front"] = "f"
    col.add_note(note, deck)  # type: ignore[attr-defined]
    shown = note.cards()[0].render_output().question_text
    assert "<b>bold</b>" in shown and r"\(\class{x}{y}\)" in shown


@pytest.mark.parametrize(
    "text",
    [
        "# D \\(\\class{pv-deck}{x}\\)\n\n## Card\n\nbody\n",
        '---\ndeck: "D <img src=x onerror=alert(1)>"\n---\n## Card\n\nbody\n',
        "# D\n\n## S &lt;b&gt;\n\n### Card\n\nbody\n",
        "# D\n\n## S \\\\[x\\\\]\n\n### Card\n\nbody\n",
    ],
)
def test_deck_and_section_names_that_read_as_markup_are_refused(
    project: Project, text: str
) -> None:
    (project.root / "source_notes").mkdir(parents=True)
    (project.root / "source_notes" / "d.md").write_text(text, encoding="utf-8")
    for command in ("check", "build"):
        result = project.run(command)
        assert result.exit_code == 1, result.stderr
        (problem,) = result.problems
        assert problem.startswith("source_notes/d.md:") and "every card shows" in problem
    assert not (project.root / "build" / "d.apkg").exists()


def test_the_preview_typesets_only_the_cards(browser: Browser, tmp_path: Path) -> None:
    """Text in the preview's navigation stays text: MathJax reads the cards alone."""
    from ankigen.preview import build_preview

    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "d.md").write_text("# D\n\n## Card\n\nbody $x^2$\n", encoding="utf-8")
    diagnostics = Diagnostics()
    preview = build_preview(
        Config(output=tmp_path / "build"), [notes], tmp_path / "preview", diagnostics
    )
    assert preview is not None, [str(d) for d in diagnostics]
    page = preview.index.read_text(encoding="utf-8")
    header = '<header class="pv-bar">'  # where the deck and section names are shown
    probe = header + '<p id="pv-probe">\\(\\class{pv-deck}{x}\\)</p>'
    preview.index.write_text(page.replace(header, probe, 1), encoding="utf-8")
    browser.open(preview.index.as_uri())
    state = browser.wait_until("document.documentElement.dataset.mathjax", timeout=30)
    assert state == "done"
    typeset = browser.evaluate(
        """[...document.querySelectorAll("mjx-container")].map(
             (m) => m.closest(".ankigen") ? "card" : "page")"""
    )
    assert typeset == ["card"]  # the body's formula, not the text in the navigation
