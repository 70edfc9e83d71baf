"""The seed deck's preview in headless Chromium, opened from disk: no errors, no request off the
disk, every formula typeset, every picture loaded, the filter and the night switch working.

Screenshots of the day and night views are kept in build/test-artifacts/preview/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from ankigen.config import Config
from ankigen.errors import Diagnostics
from ankigen.preview import Preview, build_preview

from .conftest import REPO, SEED_NOTES
from .preview.chromium import Browser

ARTIFACTS = REPO / "build" / "test-artifacts" / "preview"
LAB_NOTES = Path(__file__).parent / "preview" / "lab" / "notes"

_CODE = re.compile(r"<(pre|code)\b.*?</\1>", re.DOTALL)


def _preview(notes: Path, folder: Path) -> Preview:
    diagnostics = Diagnostics()
    preview = build_preview(
        Config(output=folder / "build"), [notes], folder / "preview", diagnostics
    )
    assert preview is not None, [str(d) for d in diagnostics]
    return preview


def _formulas(preview: Preview) -> int:
    """How many formulas MathJax must typeset: both faces of every card, outside code."""
    html = "".join(_CODE.sub("", card.question + card.answer) for card in preview.cards)
    return len(re.findall(r"\\\(|\\\[", html))


def _pictures(preview: Preview) -> int:
    return sum((card.question + card.answer).count("<img ") for card in preview.cards)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    chromium = Browser(tmp_path_factory.mktemp("chromium") / "profile")
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def seed(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Preview:
    preview = _preview(SEED_NOTES, tmp_path_factory.mktemp("seed"))
    browser.open(preview.index.as_uri())
    _settle(browser)
    # the cards near the screen first, and only their formulas typeset
    assert browser.evaluate("document.querySelectorAll('.pv-tile').length") < 51
    assert browser.evaluate("document.querySelectorAll('.pv-tile[data-typeset]').length") < 51
    _load(browser, preview)  # then every card, scrolling through the page
    return preview


def _load(browser: Browser, preview: Preview, url: str = "") -> None:
    browser.open(url or preview.index.as_uri())
    _settle(browser)
    _show_every_card(browser)


def _settle(browser: Browser, timeout: float = 30) -> None:
    """Wait until the cards near the screen are shown and typeset."""
    # the page hears of a scroll after the next frames are drawn
    browser.evaluate(
        "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r))))"
    )
    state = browser.wait_until("document.documentElement.dataset.mathjax", timeout=timeout)
    assert state == "done", f"MathJax did not finish typesetting: {state!r}"


def _show_every_card(browser: Browser) -> None:
    """Scroll down the page a screen at a time to its end, as a reader does, then back up."""
    at_end = "scrollY + innerHeight >= document.documentElement.scrollHeight - 1"
    for _ in range(1000):
        _settle(browser)
        if browser.evaluate(at_end):
            break
        browser.evaluate("window.scrollBy(0, innerHeight)")
    browser.evaluate("window.scrollTo(0, 0)")
    _settle(browser)


def test_the_page_loads_from_disk_without_errors(browser: Browser, seed: Preview) -> None:
    assert browser.problems() == []
    assert browser.evaluate("document.querySelectorAll('.pv-tile').length") == 51
    assert browser.evaluate("document.getElementById('pv-count').textContent") == "51 cards"


def test_every_formula_is_typeset(browser: Browser, seed: Preview) -> None:
    expected = _formulas(seed)
    assert expected == 9  # the seed deck's formulas, all on the backs
    assert browser.evaluate("document.querySelectorAll('.card mjx-container').length") == expected
    # as Anki's reviewer typesets (tex-chtml-full.js): CommonHTML, with MathJax's own fonts
    jax = "[...document.querySelectorAll('.card mjx-container')].map(m => m.getAttribute('jax'))"
    assert browser.evaluate(jax) == ["CHTML"] * expected
    assert browser.wait_until(
        "document.fonts.ready.then(() => [...document.fonts].filter("
        "f => f.family.startsWith('MJXTEX') && f.status === 'loaded').length)",
        timeout=10,
    )
    assert browser.evaluate("document.querySelectorAll('mjx-merror, [data-mjx-error]').length") == 0
    raw = browser.evaluate(
        r"""(() => {
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        const left = [];
        while (walker.nextNode()) {
          const node = walker.currentNode;
          if (node.parentElement.closest("pre, code, script, style")) continue;
          if (/\\[(\[\])]/.test(node.textContent)) left.push(node.textContent);
        }
        return left;
      })()"""
    )
    assert raw == []


def test_every_picture_is_loaded(browser: Browser, seed: Preview) -> None:
    sizes = browser.evaluate(
        "[...document.querySelectorAll('.card img')]"
        ".map(i => [i.getAttribute('src'), i.complete, i.naturalWidth, i.naturalHeight])"
    )
    assert len(sizes) == _pictures(seed) == 6  # the six drawn plots, on the backs
    for src, complete, width, height in sizes:
        assert complete and width > 0 and height > 0, src


def test_the_filter_box_narrows_the_list(browser: Browser, seed: Preview) -> None:
    browser.evaluate("document.getElementById('pv-filter').focus()")
    browser.call("Input.insertText", text="softmax")
    shown = browser.evaluate(
        "[...document.querySelectorAll('.pv-tile')].filter(t => t.offsetParent)"
        ".map(t => t.textContent.toLowerCase())"
    )
    assert 0 < len(shown) < 51
    assert all("softmax" in text for text in shown)
    count = browser.evaluate("document.getElementById('pv-count').textContent")
    assert count == f"{len(shown)} of 51 cards"
    hidden_decks = browser.evaluate(
        """(() => { const sections = [...document.querySelectorAll('.pv-deck')];
        const seen = new Set(sections.filter(s => s.offsetParent).map(s => s.dataset.deck));
        return new Set(sections.map(s => s.dataset.deck).filter(d => !seen.has(d))).size; })()"""
    )
    assert hidden_decks == 1  # Probability has no card about softmax
    browser.call("Input.insertText", text=" nothing-matches-this")
    assert browser.evaluate("document.getElementById('pv-none').hidden") is False
    browser.evaluate(
        "document.getElementById('pv-filter').dispatchEvent("
        "new KeyboardEvent('keydown', {key: 'Escape'}))"
    )
    assert browser.evaluate("document.querySelectorAll('.pv-tile:not([hidden])').length") == 51


def test_the_night_switch_changes_the_cards_colours(browser: Browser, seed: Preview) -> None:
    colours = """(() => {
      const card = document.querySelector('.pv-face > .card');
      const cloze = document.querySelector('.card .cloze');
      return [card.className, getComputedStyle(card).backgroundColor,
              getComputedStyle(card).color, getComputedStyle(cloze).color,
              getComputedStyle(document.body).backgroundColor];
    })()"""
    browser.evaluate("window.scrollTo(0, 0); document.activeElement.blur()")
    day = browser.evaluate(colours)
    assert day[0] == "card card1"
    day_shot = browser.screenshot(ARTIFACTS / "seed-day.png")
    cloze_shots = [_shoot_card(browser, "regularization", "day")]

    browser.evaluate("document.getElementById('pv-night').click()")
    night = browser.evaluate(colours)
    assert night[0] == "card card1 nightMode night_mode"  # as Anki desktop marks the card
    for index, what in enumerate(("card background", "text", "cloze", "page"), start=1):
        assert night[index] != day[index], what
    assert night[1] == "rgb(44, 44, 44)"  # Anki desktop's dark --canvas, as its reviewer shows it
    night_shot = browser.screenshot(ARTIFACTS / "seed-night.png")
    cloze_shots.append(_shoot_card(browser, "regularization", "night"))
    cloze_shots.append(_shoot_card(browser, "cross-entropy", "night"))
    browser.evaluate("document.getElementById('pv-night').click()")
    assert browser.evaluate(colours) == day
    cloze_shots.append(_shoot_card(browser, "cross-entropy", "day"))
    for path in (day_shot, night_shot, *cloze_shots):
        print(f"screenshot: {path}")
        assert path.stat().st_size > 10_000


def test_quiz_mode_hides_the_backs_until_a_card_is_turned(browser: Browser, seed: Preview) -> None:
    visible_backs = (
        "[...document.querySelectorAll('.pv-back')].filter(b => b.offsetParent !== null).length"
    )
    assert browser.evaluate(visible_backs) == 51
    browser.evaluate("document.getElementById('pv-hide-answers').click()")
    assert browser.evaluate(visible_backs) == 0
    browser.evaluate("document.querySelector('.pv-tile').click()")
    assert browser.evaluate(visible_backs) == 1
    browser.evaluate("document.getElementById('pv-hide-answers').click()")
    assert browser.evaluate(visible_backs) == 51


def _shoot_card(browser: Browser, text: str, mode: str) -> Path:
    # on the screen first: a tile off it is not painted (content-visibility: auto)
    box = browser.evaluate(
        f"""new Promise((resolve) => {{
        const tile = [...document.querySelectorAll('.pv-tile')]
          .find(t => t.textContent.toLowerCase().includes({text!r}));
        tile.scrollIntoView({{block: 'center'}});
        requestAnimationFrame(() => requestAnimationFrame(() => {{
          const r = tile.getBoundingClientRect();
          resolve({{x: r.x, y: r.y + window.scrollY, width: r.width, height: r.height}});
        }}));
      }})"""
    )
    return browser.screenshot(ARTIFACTS / f"seed-{text}-{mode}.png", clip=box)


def test_pictures_chemistry_and_decks_of_the_lab_deck(browser: Browser, tmp_path: Path) -> None:
    preview = _preview(LAB_NOTES, tmp_path)
    _load(browser, preview)
    assert browser.problems() == []
    assert browser.evaluate("document.querySelectorAll('.card mjx-container').length") == (
        _formulas(preview)
    )
    sizes = browser.evaluate(
        "[...document.querySelectorAll('.card img')].map(i => [i.naturalWidth, i.naturalHeight])"
    )
    assert sizes == [[48, 32]]  # the lens, on the back of its card
    # \ce comes from MathJax's mhchem package, loaded from the folder
    assert browser.evaluate(
        "[...document.querySelectorAll('mjx-container')].some(m => "
        "m.querySelector('mjx-mmultiscripts, mjx-msub') && "
        "m.closest('.pv-tile').textContent.toLowerCase().includes('water'))"
    )
    names = browser.evaluate("[...document.querySelectorAll('.pv-nav a')].map(a => a.textContent)")
    assert names == ["Preview Lab", "Optics", "Second Deck"]
    browser.screenshot(ARTIFACTS / "lab-day.png")


def test_a_missing_chromium_fails_with_how_to_install_it(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from .preview import chromium

    monkeypatch.setenv("ANKIGEN_CHROMIUM", "")
    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr(chromium, "CHROMIUM", "/nonexistent/chromium")
    with pytest.raises(AssertionError, match=r"apt-get install -y chromium"):
        chromium.chromium_binary()


def test_a_large_deck_opens_finds_any_card_and_scrolls_to_its_end(
    browser: Browser, tmp_path: Path
) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    for part in range(8):  # 2,000 cards, each with a formula
        cards = "".join(
            f"## Card {part}-{i}\n\nWord {i} of part {part}: $x_{{{i}}}^2$.\n\n" for i in range(250)
        )
        (notes / f"part{part}.md").write_text(f"# Part {part}\n\n{cards}", encoding="utf-8")
    deep = notes / "part7.md"
    deep.write_text(deep.read_text().replace("Word 200 of part 7", "A zeppelin"))
    preview = _preview(notes, tmp_path)
    assert len(preview.cards) == 2000
    browser.open(preview.index.as_uri())
    _settle(browser)
    assert browser.problems() == []
    # the first screen's cards are shown, their formulas typeset; the rest wait
    tiles = browser.evaluate("document.querySelectorAll('.pv-tile').length")
    assert 0 < tiles < 300
    first = "document.querySelector('.pv-tile')"
    assert browser.evaluate(f"{first}.querySelectorAll('mjx-container').length") == 1
    assert browser.evaluate("document.getElementById('pv-count').textContent") == "2000 cards"
    # a tile loaded but off the screen costs no layout or paint: its content is skipped
    tiles_now = browser.evaluate(
        "[...document.querySelectorAll('.pv-tile')].map(t =>"
        " [getComputedStyle(t).contentVisibility,"
        " t.querySelector('.pv-title').checkVisibility({contentVisibilityAuto: true}),"
        " t.getBoundingClientRect().top > innerHeight])"
    )
    assert {style for style, _, _ in tiles_now} == {"auto"}
    assert tiles_now[0][1]  # the first card, on the screen, is drawn
    skipped = [below for _, drawn, below in tiles_now if not drawn]
    assert skipped and all(skipped)  # loaded cards below the screen are not

    # the filter finds a card deep in the deck, shown and typeset
    browser.evaluate("document.getElementById('pv-filter').focus()")
    browser.call("Input.insertText", text="zeppelin")
    _settle(browser)
    found = browser.evaluate(
        "[...document.querySelectorAll('.pv-tile')].filter(t => t.offsetParent)"
        ".map(t => [t.id, t.querySelector('.pv-title').textContent,"
        " t.querySelectorAll('mjx-container').length])"
    )
    assert found == [["card-1951", "Card 7-200", 1]]
    assert browser.evaluate("document.getElementById('pv-count').textContent") == (
        "1 of 2000 cards"
    )
    browser.evaluate(
        "document.getElementById('pv-filter').dispatchEvent("
        "new KeyboardEvent('keydown', {key: 'Escape'}))"
    )

    # a link to a card far down shows it
    browser.evaluate("location.hash = '#card-1500'")
    _settle(browser)
    top = browser.evaluate("document.getElementById('card-1500').getBoundingClientRect().top")
    assert 0 <= top < 200
    title = "document.getElementById('card-1500').querySelector('.pv-title').textContent"
    assert browser.evaluate(title) == "Card 5-249"
    where = "document.getElementById('card-1500').querySelector('.pv-loc').textContent"
    assert browser.evaluate(where).endswith("part5.md:999")  # its line, set by the page

    # scrolling to the end reaches the last card
    for _ in range(50):
        browser.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        _settle(browser)
        if browser.evaluate("!!document.getElementById('card-2000')"):
            break
    last = "document.getElementById('card-2000')"
    browser.evaluate(f"{last}.scrollIntoView()")
    _settle(browser)
    assert browser.evaluate(f"{last}.querySelector('.pv-title').textContent") == "Card 7-249"
    assert browser.evaluate(f"{last}.querySelectorAll('mjx-container').length") == 1
    assert browser.problems() == []
