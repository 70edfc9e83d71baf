"""A deterministic synthetic notes folder for the benchmark: N cards, P pictures."""

from __future__ import annotations

import random
import struct
import zlib
from pathlib import Path

CARDS_PER_FILE = 250
WORDS = [
    "gradient",
    "tensor",
    "batch",
    "layer",
    "weight",
    "bias",
    "loss",
    "optimizer",
    "epoch",
    "softmax",
    "logits",
    "dropout",
    "kernel",
    "stride",
    "padding",
    "attention",
    "encoder",
    "decoder",
    "embedding",
    "token",
    "vector",
    "matrix",
    "norm",
    "variance",
    "mean",
    "sample",
    "feature",
    "label",
    "model",
    "inference",
    "training",
    "validation",
    "precision",
    "recall",
]
PLOT_KINDS = ("nms", "pr-curve", "softmax", "function")


def _png(seed: int) -> bytes:
    """A tiny valid PNG whose bytes depend on `seed`."""
    raw = b"\x00" + bytes([seed % 256, (seed // 256) % 256, 128, 255])
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _plot(kind: str, i: int) -> str:
    if kind == "nms":
        boxes = "\n".join(
            f"  - [{10 + j * 7 + i % 5}, {10 + j * 3}, {60 + j * 7 + i % 5}, {60 + j * 3}, "
            f"{0.9 - j * 0.1:.2f}]"
            for j in range(4)
        )
        return f"```plot nms\niou_threshold: 0.5\nboxes:\n{boxes}\n```\n"
    if kind == "pr-curve":
        labels = [(i >> j) & 1 for j in range(8)]
        labels[0] = 1
        scores = [round(0.95 - j * 0.1, 2) for j in range(8)]
        return f"```plot pr-curve\nscores: {scores}\nlabels: {labels}\n```\n"
    if kind == "softmax":
        return f"```plot softmax\nlogits: [{i % 7}, 1.5, 0.2]\ntemperatures: [1, 2]\n```\n"
    return f"```plot function\nexpr: tanh(x) * {1 + i % 9}\nrange: [-3, 3]\n```\n"


def card(i: int, rng: random.Random, picture: str = "") -> str:
    """One card of about 300 bytes, mixing the markdown people write in flashcards."""
    kind = i % 8
    lines = [f"## {_sentence(rng, 3).title()} {i}", ""]
    if kind == 0:
        lines += [
            f"- **{_sentence(rng, 2)}** is {_sentence(rng, 6)}",
            f"- `{rng.choice(WORDS)}()` returns {_sentence(rng, 4)}",
            f"- the mean $\\mu_{{{i}}} = \\frac{{1}}{{n}}\\sum_i x_i$",
        ]
    elif kind == 1:
        lines += [
            f"The ==term {i}== means {_sentence(rng, 10)}.",
            "",
            f"And {{{{c2::{_sentence(rng, 2)}}}}} follows.",
        ]
    elif kind == 2:
        lines += [
            f"{_sentence(rng, 8)}:",
            "",
            "```python",
            f"def f_{i}(x):",
            f"    return x * {i} + {rng.randint(1, 9)}",
            "```",
        ]
    elif kind == 3:
        lines += [
            f"{_sentence(rng, 6)}",
            "",
            "$$",
            f"L_{{{i}}} = -\\sum_{{c=1}}^M y_c \\log p_c",
            "$$",
        ]
    else:
        lines += [
            f"{_sentence(rng, 12)}.",
            "",
            f"1. {_sentence(rng, 5)}",
            f"2. *{_sentence(rng, 3)}* and {_sentence(rng, 4)}",
        ]
    if picture:
        lines += ["", picture]
    return "\n".join(lines) + "\n"


def write_corpus(
    root: Path,
    cards: int,
    pictures: int = 0,
    images: int = 0,
    per_file: int = CARDS_PER_FILE,
    subdecks: int = 0,
) -> Path:
    """Write `cards` cards (`pictures` of them with a plot block, `images` with a PNG),
    `per_file` cards to a file, in one section (a subdeck) per file or in `subdecks` sections
    shared out evenly among the files."""
    rng = random.Random(cards * 1_000_003 + pictures)
    notes = root / "notes"
    (notes / "img").mkdir(parents=True, exist_ok=True)
    picture_every = cards // pictures if pictures else 0
    image_every = cards // images if images else 0
    files: dict[int, list[str]] = {}
    for i in range(cards):
        extra = ""
        if picture_every and i % picture_every == 0 and i // picture_every < pictures:
            extra = _plot(PLOT_KINDS[(i // picture_every) % 4], i)
        elif image_every and i % image_every == 1:
            (notes / "img" / f"p{i}.png").write_bytes(_png(i))
            extra = f"![figure {i}](img/p{i}.png)"
        files.setdefault(i // per_file, []).append(card(i, rng, extra))
    sections = max(1, subdecks // len(files))
    for number, texts in files.items():
        if per_file == 1:  # a file per card, as some people keep them: no sections
            text = "---\ndeck: Bench\n---\n" + texts[0]
        else:
            header = f"---\ndeck: Bench\n---\n# Part {number}\n\n"
            text = header + _in_sections(texts, sections, f"Section {number}")
        (notes / f"part-{number:05d}.md").write_text(text)
    return notes


def write_sectioned_file(root: Path, cards: int, sections: int) -> Path:
    """Write the `cards` cards of `write_corpus` into one note file of `sections` sections
    (subdecks): the same cards in a deep deck tree or a shallow one."""
    rng = random.Random(cards * 1_000_003)
    notes = root / "notes"
    notes.mkdir(parents=True, exist_ok=True)
    texts = [card(i, rng) for i in range(cards)]
    text = "---\ndeck: Bench\n---\n" + _in_sections(texts, sections, "Section")
    (notes / "sections.md").write_text(text)
    return notes


def _in_sections(cards: list[str], sections: int, name: str) -> str:
    """The cards as `###` headings, shared out evenly among `sections` `##` sections named
    `name` (with a number when there are several)."""
    parts = []
    for i, text in enumerate(cards):
        section = i * sections // len(cards)
        if i == 0 or section != (i - 1) * sections // len(cards):
            parts.append(f"## {name}\n\n" if sections == 1 else f"## {name}.{section}\n\n")
        parts.append(text.replace("## ", "### ", 1))
    return "".join(parts)
