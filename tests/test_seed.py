"""The user's page stays faithful in source_notes/, its one real mistake is caught, and the
fixes of issue 12 reach the student: checked in a real Anki collection."""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import SEED_NOTES, Project, import_apkg
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


# Every change to the author's words, as (page, deck): the listed fixes of issue 12 and nothing
# else. Cloze marks, `.reversed` marks and added plot blocks are taken out before comparing.
MENDS = [
    # Sum Rule: the author's two lines stay two lines
    ("12 Roman coins, 6 are silver\n", "12 Roman coins, 6 are silver\\\n"),
    # Product Rule: the tab-indented bullets are list items, not a code block
    ("\t* if you have OR,", "* if you have OR,"),
    ("can be right.\n\t\n\t* If you have AND,", "can be right.\n\n* If you have AND,"),
    # NMS: input, output and the algorithm are a list, not one paragraph
    ("  input: list", "  * input: list"),
    ("  Output: list", "  * Output: list"),
    ("  Algorithm:\n", "  * Algorithm:\n"),
    # Regularization: a cue for each method, so each deletion has one answer
    ("1. dropout\n", "1. dropout (randomly zeroes activations while training)\n"),
    (
        "3. data augmentation\n",
        "3. data augmentation (random transformations of the training images)\n",
    ),
    (
        "4. batch normalization\n",
        "4. batch normalization (normalizes each layer's inputs over the mini-batch)\n",
    ),
    ("5. label smoothing\n", "5. label smoothing (softens the one-hot targets)\n"),
    # the backprop update, as the card means it
    (
        "$w_t = w_{t-1} - learningrate * {\\frac{dL}{d_{wt-w}}$",
        "$w_t = w_{t-1} - \\text{learning rate} * {\\frac{dL}{dw_{t-1}}}$",
    ),
]


def test_the_deck_text_differs_from_the_page_only_by_the_listed_mends_and_cloze_marks() -> None:
    original = ORIGINAL.read_text(encoding="utf-8")
    ours = SEED.read_text(encoding="utf-8")
    body = ours.split("---\n", 2)[2]  # without the front matter
    body = re.sub(r"\n```plot [a-z-]+\n.*?```\n", "", body, flags=re.DOTALL)  # added pictures
    unmarked = re.sub(r"\{\{c\d+::(.*?)\}\}", r"\1", body)
    unmarked = re.sub(r"==(\S[^=\n]*?)==", r"\1", unmarked)
    unmarked = re.sub(r" \{\.reversed\}$", "", unmarked, flags=re.MULTILINE)  # card kinds
    mended = original
    for page, deck in MENDS:
        assert mended.count(page) == 1, page
        mended = mended.replace(page, deck)
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


# --- what a student sees, in a real Anki collection -----------------------------------------


@pytest.fixture(scope="module")
def seed_collection(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The seed deck built and imported into a fresh collection by Anki's own backend."""
    from anki.collection import Collection

    project = Project(tmp_path_factory.mktemp("seed"))
    project.root.mkdir(exist_ok=True)
    result = project.build(str(SEED_NOTES), "-o", "deck.apkg")
    assert result.exit_code == 0, result.stderr
    col = Collection(str(project.root / "collection.anki2"))
    import_apkg(col, project.root / "deck.apkg")
    yield col
    col.close()


def _answer(col: Any, front: str) -> str:
    (cid,) = col.find_cards(f'"Front:{front}"')
    return str(col.get_card(cid).render_output().answer_text)


def _visible(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_product_rule_mental_model_is_a_list_not_code(seed_collection: Any) -> None:
    answer = _answer(seed_collection, "Product Rule")
    assert "<pre" not in answer and "<code>* if" not in answer
    items = [_visible(i) for i in re.findall(r"<li>(.*?)</li>", answer, re.DOTALL)]
    assert any(i.startswith("if you have OR, then the probabilites must be summed") for i in items)
    assert any(i.startswith("If you have AND,") for i in items)


def test_nms_and_sum_rule_keep_the_authors_lines(seed_collection: Any) -> None:
    nms = _answer(seed_collection, "NMS (non-maximum suppression)")
    steps = re.search(r"<ol>(.*?)</ol>", nms, re.DOTALL)
    assert steps is not None
    assert [_visible(s)[:10] for s in re.findall(r"<li>(.*?)</li>", steps.group(1))] == [
        "Select pro",
        "Compare th",
        "Again, tak",
        "Again, cal",
        "Repeat",
    ]
    assert re.search(r"<li>Output: list of filtered proposals <code>D</code></li>", nms)
    assert re.search(r"<li>input: list of several proposal boxes", nms)
    coins = _answer(seed_collection, "Sum Rule")
    assert re.search(r"12 Roman coins, 6 are silver<br\s*/?>\s*8 Greek coins", coins)


_CLOZE_SPAN = re.compile(r'<span class="cloze" data-ordinal="(\d+)">(.*?)</span>', re.DOTALL)


def test_no_cloze_card_shows_its_answer_on_its_front(seed_collection: Any) -> None:
    """Anki's own rendering of every cloze card: its answers are nowhere on its question."""
    col = seed_collection
    checked = 0
    for cid in col.find_cards('"note:ankigen Cloze"'):
        output = col.get_card(cid).render_output()
        front = _visible(output.question_text).casefold()
        assert "[...]" in front
        for _, answer in _CLOZE_SPAN.findall(output.answer_text):
            word = _visible(answer).casefold()
            checked += 1
            if len(word) < 2 or re.fullmatch(r"[\d.,/%-]+", word):
                continue
            assert not re.search(rf"(?<!\w){re.escape(word)}(?!\w)", front), (word, front)
    assert checked == 5 + 3 + 3 + 2  # Regularization, TTA, FLOPS (c1 twice), Encoder-Decoder


def test_each_regularization_deletion_has_a_cue(seed_collection: Any) -> None:
    """An unordered list of five blanks has many right answers; a cue leaves one."""
    col = seed_collection
    cids = col.find_cards('"Heading:Deep Learning Regularization Methods"')
    assert len(cids) == 5
    for cid in cids:
        question = col.get_card(cid).render_output().question_text
        (item,) = [i for i in re.findall(r"<li>(.*?)</li>", question) if "[...]" in _visible(i)]
        cue = _visible(item).replace("[...]", "").strip()
        assert re.fullmatch(r"\(.{10,}\)", cue), cue


def test_flops_and_encoder_decoder_ask_what_the_heading_does_not_say(seed_collection: Any) -> None:
    col = seed_collection
    answers = {}
    for heading in ("FLOPS", "Encoder-Decoder Architectures"):
        for cid in col.find_cards(f'"Heading:{heading}"'):
            card = col.get_card(cid)
            spans = _CLOZE_SPAN.findall(card.render_output().answer_text)
            answers[heading, card.ord + 1] = sorted({_visible(a) for _, a in spans})
    assert answers == {
        ("FLOPS", 1): ["Floating Point Operations"],
        ("FLOPS", 2): ["per second"],
        ("Encoder-Decoder Architectures", 1): ["State"],
        ("Encoder-Decoder Architectures", 2): ["Output"],
    }


def test_the_update_formula_is_the_tex_the_card_means(seed_collection: Any) -> None:
    answer = _answer(seed_collection, "Update function for Backprop (without PyTorch):")
    assert "\\(w_t = w_{t-1} - \\text{learning rate} * {\\frac{dL}{dw_{t-1}}}\\)" in answer
    assert "learningrate" not in answer and "d_{wt-w}" not in answer


def test_plot_labels_say_what_they_show(seed_collection: Any) -> None:
    col = seed_collection
    figures = re.compile(r'<img src="[^"]+" alt="([^"]*)"><figcaption>([^<]*)</figcaption>')
    (pr_alt, _), *_ = figures.findall(_answer(col, "Precision vs. Recall"))
    assert "detector" not in pr_alt  # mAP is a mean over classes, not over detectors
    assert re.search(r"class cat: AP [\d.]+; class bird: AP [\d.]+\. mAP [\d.]+", pr_alt)
    (log_alt, caption), *_ = figures.findall(_answer(col, "Cross-Entropy Loss (log loss)"))
    assert "-log(x)" in caption and "-log(p)" not in caption  # the axis is x
    assert "-log(x)" in html.unescape(log_alt) or "log(x)" in html.unescape(log_alt)
