"""`plot` blocks in notes: located problems, pictures on the cards in Anki, drawn once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ankigen import drawing

from .conftest import SEED_NOTES, Project, import_apkg

NMS_NOTE = """
# Detection

## NMS

Greedy suppression:

```plot nms
title: Two objects
iou_threshold: 0.5
boxes:
  - [10, 10, 60, 60, 0.9]
  - [12, 14, 62, 58, 0.75]
  - [100, 30, 150, 90, 0.8]
```
"""


def test_bad_plot_blocks_are_located_in_the_note_file(project: Project) -> None:
    project.write(
        "source_notes/d.md",
        """
        # D

        ## Boxes

        ```plot nms
        boxes:
          - [10, 10, 5, 60, 0.9]
          - [0, 0, 10, 10, 1.5]
        ```

        ## Unknown

        ```plot histogram
        values: [1, 2]
        ```

        ## Hostile

        ```plot function
        expr: __import__('os').system('touch pwned')
        range: [0, 0]
        ```
        """,
    )
    result = project.build()
    assert result.exit_code == 1
    assert result.problems == [
        "source_notes/d.md:7:14: error: plot nms: box 1: x2 (5) is less than x1 (10), "
        "so the box has no width",
        "source_notes/d.md:8:20: error: plot nms: box 2: score (1.5) is outside [0, 1]",
        "source_notes/d.md:13:9: error: unknown plot kind 'histogram' "
        "(known: function, nms, pr-curve, softmax)",
        "source_notes/d.md:20:7: error: plot function: expr: name '__import__' is not allowed "
        "(allowed: x, pi, E, exp, log, sqrt, sin, cos, tan, sinh, cosh, tanh, asin, acos, atan, "
        "Abs, Max, Min, Heaviside, erf, sign)",
        "source_notes/d.md:21:8: error: plot function: range [0, 0] has zero width",
    ]
    assert not (project.root / "pwned").exists()
    assert not (project.root / "build" / "d.apkg").exists()


@pytest.fixture(scope="module")
def seed_collection(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from anki.collection import Collection

    root = tmp_path_factory.mktemp("seed-plots")
    project = Project(root)
    result = project.build(str(SEED_NOTES), "-o", "deck.apkg")
    assert result.exit_code == 0, result.stderr
    col = Collection(str(root / "collection.anki2"))
    import_apkg(col, root / "deck.apkg")
    yield col
    col.close()


@pytest.mark.parametrize(
    ("front", "kind_words"),
    [
        ("NMS (non-maximum suppression)", "Kept: box 1 (score 0.9), box 3 (score 0.8), box 5"),
        ("mAP - mean average precision", "11-point interpolated AP 0.833"),
        ("Precision vs. Recall", "mAP 0.775"),
        ("Softmax Activation Function", "at temperature 1: cat 0.659, dog 0.242, bird 0.099"),
        ("Cross-Entropy Loss (log loss)", "f(x) = -log(x)"),
        ("What problem do ResNets solve?", "f'(x) = exp(-x)/(1 + exp(-x))**2"),
    ],
)
def test_seed_cards_carry_their_pictures(seed_collection, front: str, kind_words: str) -> None:  # type: ignore[no-untyped-def]
    (card,) = [seed_collection.get_card(c) for c in seed_collection.find_cards(f'"Front:{front}"')]
    answer = card.render_output().answer_text
    match = re.search(r'<img src="(ankigen-[0-9a-f]{24}\.svg)" alt="([^"]*)"', answer)
    assert match, answer
    assert kind_words in match.group(2).replace("&#x27;", "'")
    svg = (Path(seed_collection.media.dir()) / match.group(1)).read_bytes()
    assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg
    assert "<figcaption>" in answer


def test_seed_media_are_all_present_and_used(seed_collection) -> None:  # type: ignore[no-untyped-def]
    check = seed_collection.media.check()
    assert not check.missing and not check.unused
    assert len(list(Path(seed_collection.media.dir()).iterdir())) == 6


def test_a_rebuild_draws_nothing_and_gives_the_same_bytes(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.write("source_notes/d.md", NMS_NOTE)
    assert project.build().exit_code == 0
    first = project.apkg("detection").read_bytes()

    def refuse(jobs):  # type: ignore[no-untyped-def]
        assert not jobs, "nothing should be drawn again"
        return []

    monkeypatch.setattr(drawing, "_draw", refuse)
    assert project.build().exit_code == 0
    assert project.apkg("detection").read_bytes() == first


def test_png_on_request(project: Project) -> None:
    project.write("ankigen.toml", 'plot_format = "png"\n')
    project.write("source_notes/d.md", NMS_NOTE)
    assert project.build().exit_code == 0
    import zipfile

    with zipfile.ZipFile(project.apkg("detection")) as archive:
        assert '.png"' in archive.read("media").decode()
        assert archive.read("0").startswith(b"\x89PNG\r\n\x1a\n")


def test_many_pictures_are_drawn_in_worker_processes(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    import concurrent.futures

    used = []
    real = concurrent.futures.ProcessPoolExecutor

    class Recording(real):  # type: ignore[misc, valid-type]
        def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            used.append(kwargs.get("max_workers"))
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", Recording)
    monkeypatch.setenv("ANKIGEN_JOBS", "2")
    cards = "\n".join(
        f"## Softmax {i}\n\n```plot softmax\nlogits: [{i}, 1, 0]\n```\n" for i in range(4)
    )
    project.write("source_notes/d.md", "# Many\n\n" + cards)
    assert project.build().exit_code == 0
    assert used == [2]
    assert len(list((project.root / "build" / ".cache" / "pictures").glob("*.bin"))) == 4


def test_forged_pictures_in_the_cache_are_drawn_again(project: Project) -> None:
    project.write("source_notes/d.md", NMS_NOTE)
    assert project.build().exit_code == 0
    first = project.apkg("detection").read_bytes()
    cache = project.root / "build" / ".cache"
    for picture in (cache / "pictures").glob("*.bin"):
        picture.write_bytes(b"<svg><script>alert(1)</script></svg>")
    (cache / "notes.sqlite").unlink()
    for entry in (cache / "media").iterdir():
        entry.unlink()
    assert project.build().exit_code == 0
    assert project.apkg("detection").read_bytes() == first


def test_a_sealed_picture_moved_under_another_key_is_drawn_again(project: Project) -> None:
    cards = "\n".join(
        f"## Softmax {i}\n\n```plot softmax\nlogits: [{i}, 1, 0]\n```\n" for i in range(2)
    )
    project.write("source_notes/d.md", "# Two\n\n" + cards)
    assert project.build().exit_code == 0
    first = project.apkg("two").read_bytes()
    cache = project.root / "build" / ".cache"
    one, other = sorted(p.stem for p in (cache / "pictures").glob("*.json"))
    for suffix in (".json", ".bin"):
        (cache / "pictures" / f"{other}{suffix}").write_bytes(
            (cache / "pictures" / f"{one}{suffix}").read_bytes()
        )
    (cache / "notes.sqlite").unlink()
    for entry in (cache / "media").iterdir():
        entry.unlink()
    assert project.build().exit_code == 0
    assert project.apkg("two").read_bytes() == first
