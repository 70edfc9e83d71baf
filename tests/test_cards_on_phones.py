"""Cards as Anki renders them, shown in headless Chromium on a 390 px phone and a desktop window.

Each card is imported into a real collection, rendered by the official backend, and put in a
page the way Anki's reviewer does (`<body class="card card1">`, the note type's CSS). Screenshots
are kept in build/test-artifacts/phone/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from .conftest import REPO, Project, import_apkg
from .preview.chromium import Browser

ARTIFACTS = REPO / "build" / "test-artifacts" / "phone"
PHONE, DESKTOP = 390, 1280
LEGIBLE_PX = 11  # the smallest text a phone's reader should meet

_NOTES = """\
# Phone Deck

## Boxes

```plot nms
title: Greedy NMS at an IoU threshold of 0.5
iou_threshold: 0.5
boxes:
  - [10, 10, 60, 60, 0.9]
  - [12, 14, 62, 58, 0.75]
  - [100, 30, 150, 90, 0.8]
  - [104, 34, 152, 88, 0.6]
```

## Curve

```plot function
title: "-log(p)"
expr: -log(x)
range: [0.01, 1]
```

## Temperatures

```plot softmax
title: The same logits at three temperatures
logits: [2.0, 1.0, 0.1]
classes: [cat, dog, bird]
temperatures: [0.5, 1, 2]
```

## Precision

```plot pr-curve
title: Ten detections and their AP
scores: [0.98, 0.95, 0.9, 0.88, 0.8, 0.75, 0.7, 0.6, 0.5, 0.4]
labels: [1, 1, 0, 1, 1, 0, 1, 0, 1, 0]
```

## Long Code

```python
def f(x):
\treturn some_function_with_a_long_name(x, another_argument_that_is_long, yet_another_one=42)
```

```
a_single_unbroken_token_that_is_far_wider_than_any_phone_screen_could_ever_show_in_one_line_xyz
```

See https://example.org/a/very/long/address/that/has/no/spaces/at/all/and/keeps/going/on

## Typed {.type}

`torch.nn.functional.binary_cross_entropy_with_logits(input, target, pos_weight=None)`

Numerically stable: it folds the sigmoid into the loss.
"""
# What Anki's reviewer puts for `[[type:Answer]]`: a box on the question, and on the answer its
# comparison of what was typed (here a wrong answer, for the longest line) with the field.
_ANSWER_BOX = '<center><input type=text id=typeans style="font-size: 20px;"></center>'
_TYPED = "torch.nn.functional.binary_cross_entropy(input, target)"


@pytest.fixture(scope="module")
def anki_pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Both sides of every card of the phone deck, as pages Anki's reviewer would show."""
    from anki.collection import Collection

    project = Project(tmp_path_factory.mktemp("phone"))
    project.write("source_notes/phone.md", _NOTES)
    assert project.build().exit_code == 0
    (project.root / "collection").mkdir()
    col = Collection(str(project.root / "collection" / "collection.anki2"))
    try:
        import_apkg(col, project.apkg("phone-deck"))
        media = Path(col.media.dir())
        pages = {}
        for cid in col.find_cards(""):
            card = col.get_card(cid)
            output = card.render_output()
            name = re.sub(r"\W+", "-", card.note()["Front"]).strip("-").lower()
            sides = {"": output.answer_text}
            if "[[type:Answer]]" in output.question_text:
                compared = col.compare_answer(card.note()["Answer"], _TYPED)
                shown = f"<div><code id=typeans>{compared}</code></div>"
                sides = {
                    "-question": output.question_text.replace("[[type:Answer]]", _ANSWER_BOX),
                    "": output.answer_text.replace("[[type:Answer]]", shown),
                }
            for mode, classes in (("day", "card card1"), ("night", "card card1 nightMode")):
                for side, html in sides.items():
                    page = media / f"{name}{side}-{mode}.html"
                    page.write_text(
                        '<!DOCTYPE html><html><head><meta charset="utf-8">'
                        '<meta name="viewport" content="width=device-width, initial-scale=1">'
                        f'<style>{output.css}</style></head><body class="{classes}">'
                        f"{html}</body></html>",
                        encoding="utf-8",
                    )
                    pages[f"{name}{side}-{mode}"] = page
        yield pages
    finally:
        col.close()


class Screen(NamedTuple):
    browser: Browser
    width: int  # CSS pixels


@pytest.fixture(scope="module", params=[PHONE, DESKTOP], ids=["phone", "desktop"])
def screen(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Screen]:
    chromium = Browser(tmp_path_factory.mktemp("chromium") / "profile", width=request.param)
    yield Screen(chromium, request.param)
    chromium.close()


def _show(screen: Screen, page: Path) -> Browser:
    """Open the page, keep its screenshot, and return the browser showing it."""
    browser = screen.browser
    browser.open(page.as_uri())
    browser.wait_until("[...document.images].every(i => i.complete)", timeout=10)
    height = browser.evaluate("document.documentElement.scrollHeight")
    box = {"x": 0, "y": 0, "width": screen.width, "height": height}
    shot = browser.screenshot(ARTIFACTS / f"{page.stem}-{screen.width}.png", clip=box)
    print(f"screenshot: {shot}")
    return browser


def _smallest_text(svg: str) -> float:
    """The smallest text of a matplotlib SVG, in its own units: glyphs drawn at `scale(s -s)`."""
    return 100 * min(float(s) for s in re.findall(r"scale\(([0-9.]+) -\1\)", svg))


@pytest.mark.parametrize("name", ["boxes", "curve", "temperatures", "precision"])
def test_pictures_fit_the_card_and_their_labels_are_legible(
    screen: Screen, anki_pages: dict[str, Path], name: str
) -> None:
    browser = _show(screen, anki_pages[f"{name}-day"])
    (src, width, card_width) = browser.evaluate(
        """(() => { const img = document.querySelector('figure img');
        const content = img.closest('.ankigen');
        const style = getComputedStyle(content);
        const inner = content.clientWidth - parseFloat(style.paddingLeft)
          - parseFloat(style.paddingRight);
        return [img.getAttribute('src'), img.getBoundingClientRect().width, inner]; })()"""
    )
    assert width <= card_width + 0.5  # never wider than the card
    assert browser.evaluate("document.documentElement.scrollWidth") <= screen.width
    if screen.width == PHONE:
        assert width >= card_width - 0.5  # the card's whole width
    svg = (anki_pages[f"{name}-day"].parent / src).read_text(encoding="utf-8")
    view_width = float(re.search(r'viewBox="0 0 ([0-9.]+) ', svg).group(1))  # type: ignore[union-attr]
    smallest = _smallest_text(svg) * width / view_width  # CSS pixels as shown
    print(f"{name} at {screen.width} px: {width:.0f} px wide, smallest text {smallest:.1f} px")
    assert smallest >= LEGIBLE_PX


def test_code_and_addresses_are_never_cut_off(screen: Screen, anki_pages: dict[str, Path]) -> None:
    browser = _show(screen, anki_pages["long-code-day"])
    blocks = browser.evaluate(
        "[...document.querySelectorAll('pre')].map(p => [p.scrollWidth, p.clientWidth,"
        " getComputedStyle(p).tabSize])"
    )
    assert len(blocks) == 2
    for scroll_width, client_width, tab_size in blocks:
        assert scroll_width <= client_width  # every character in view, no hidden scrolling
        assert tab_size == "4"
    assert browser.evaluate("document.documentElement.scrollWidth") <= screen.width


def test_night_code_has_no_day_backgrounds(screen: Screen, anki_pages: dict[str, Path]) -> None:
    from pygments.styles import get_style_by_name
    from pygments.token import STANDARD_TYPES

    from ankigen.notetypes import NIGHT_CODE_STYLE

    night = get_style_by_name(NIGHT_CODE_STYLE)
    browser = _show(screen, anki_pages["long-code-night"])
    spans = "".join(f'<span class="{name}">x</span>' for name in STANDARD_TYPES.values() if name)
    found = browser.evaluate(
        f"""(() => {{ const block = document.querySelector('.highlight pre');
        block.innerHTML = {spans!r};
        return [...block.children].map(s => [s.className, getComputedStyle(s).backgroundColor]);
        }})()"""
    )
    kinds = {name: kind for kind, name in STANDARD_TYPES.items()}
    for name, background in found:
        own = night.style_for_token(kinds[name])["bgcolor"]
        if not own:  # e.g. Comment.Special: the day style's pink must not show through
            assert background == "rgba(0, 0, 0, 0)", name


def test_fronts_show_their_deck_above_the_heading(
    screen: Screen, anki_pages: dict[str, Path]
) -> None:
    browser = _show(screen, anki_pages["boxes-day"])
    deck, heading = browser.evaluate(
        """(() => { const d = document.querySelector('.ankigen-deck');
        const h = document.querySelector('.ankigen-heading');
        return [[d.textContent, parseFloat(getComputedStyle(d).fontSize),
                 d.getBoundingClientRect().bottom],
                [h.textContent, parseFloat(getComputedStyle(h).fontSize),
                 h.getBoundingClientRect().top]]; })()"""
    )
    assert deck[0] == "Phone Deck" and heading[0] == "Boxes"
    assert deck[2] <= heading[2] and deck[1] < heading[1] / 1.5  # small, above the heading


def test_the_typed_answer_box_and_its_comparison_fit_the_card(
    screen: Screen, anki_pages: dict[str, Path]
) -> None:
    browser = _show(screen, anki_pages["typed-question-day"])
    box, card = browser.evaluate(
        """[document.querySelector('#typeans').getBoundingClientRect().right,
        document.querySelector('.ankigen').getBoundingClientRect().right]"""
    )
    assert box <= card + 0.5
    assert browser.evaluate("document.documentElement.scrollWidth") <= screen.width
    browser = _show(screen, anki_pages["typed-day"])
    scroll_width, client_width = browser.evaluate(
        "(c => [c.scrollWidth, c.clientWidth])(document.querySelector('code#typeans'))"
    )
    assert scroll_width <= client_width  # the whole comparison in view, even on a phone
    assert browser.evaluate("document.documentElement.scrollWidth") <= screen.width
