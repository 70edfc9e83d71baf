"""The pictures a card shows, read as data with their problems: its images, resolved to files
inside the notes folder, and its ```plot KIND``` blocks, checked."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from markdown_it.token import Token

from .diagrams import PlotSpec
from .errors import Diagnostic, Location
from .rules.card import FileContext, error

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif", ".bmp")


@dataclass(frozen=True)
class CardPictures:
    """What a card's pictures are, and the files they made parse look at."""

    images: tuple[tuple[str, Path], ...]  # checked image references: src -> file
    plots: tuple[tuple[int, PlotSpec], ...]  # checked `plot` blocks by index in the body
    consulted: tuple[Path, ...]  # every image file named, found or not, as written
    problems: tuple[Diagnostic, ...]


@dataclass(frozen=True)
class ImageFile:
    """Where an image reference leads: its file, or the problem with it."""

    written: Path | None  # the path as written, next to the note file; None for no file at all
    path: Path | None  # the checked file, resolved
    problem: str | None


def card_pictures(heading: Token, body: list[Token], context: FileContext) -> CardPictures:
    """The images and plots of a card with the heading `heading` and the body `body`.

    Reads inline tokens: see `markdown.READ_AS_INLINE_TOKENS`."""
    images, consulted, problems = [], [], []
    for inline in [heading, *body]:
        for child in inline.children or ():
            if child.type == "image":
                src = str(child.attrs.get("src", ""))
                found = image_file(src, context.source.path.parent, context.source.root)
                if found.written is not None:
                    consulted.append(found.written)
                if found.path is not None:
                    images.append((src, found.path))
                else:
                    problems.append(error(context.locate(inline, src), found.problem or ""))
    plots = []
    for index, token in enumerate(body):
        words = token.info.split()
        if token.type == "fence" and words and words[0] == "plot":
            spec, plot_problems = _plot(token, words, context)
            problems += plot_problems
            if spec is not None:
                plots.append((index, spec))
    return CardPictures(tuple(images), tuple(plots), tuple(consulted), tuple(problems))


def image_file(src: str, folder: Path, root: Path) -> ImageFile:
    """The file behind an image reference `src` in a note file in `folder`, inside `root`."""
    if not src or "://" in src or src.startswith(("data:", "//")):
        return ImageFile(None, None, f"image {src!r} must be a file in the notes folder")
    written = folder / unquote(src)  # as written: the cache re-resolves it
    try:
        path = written.resolve()
        inside, exists = path.is_relative_to(root), path.is_file()
    except (OSError, RuntimeError, ValueError) as exc:
        return ImageFile(written, None, f"image {src!r} cannot be read: {exc}")
    if not inside:
        return ImageFile(written, None, f"image {src!r} lies outside the notes folder")
    if not exists:
        return ImageFile(written, None, f"image {src!r} does not exist")
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        allowed = ", ".join(IMAGE_SUFFIXES)
        return ImageFile(written, None, f"{src!r} is not an image ({allowed})")
    return ImageFile(written, path, None)


def _plot(
    token: Token, words: list[str], context: FileContext
) -> tuple[PlotSpec | None, list[Diagnostic]]:
    """The checked spec of a ```plot KIND``` block, or None, and its problems."""
    from .diagrams import KINDS, parse_plot

    fence_line = token.map[0] if token.map else 0
    indent = len(context.lines[fence_line]) - len(context.lines[fence_line].lstrip())
    kind = words[1] if len(words) > 1 else ""
    if kind not in KINDS:
        col = context.lines[fence_line].find(kind, indent + 3) if kind else indent
        known = ", ".join(sorted(KINDS))
        message = (
            f"unknown plot kind {kind!r} (known: {known})"
            if kind
            else (f"a plot block names its kind: ```plot KIND``` with KIND one of {known}")
        )
        return None, [error(context.at(fence_line, col), message)]
    spec, found = parse_plot(kind, token.content)
    problems = []
    for problem in found:
        where: Location = context.at(fence_line + 1 + problem.line, indent + problem.col)
        prefix = "" if problem.message.startswith("plot ") else f"plot {kind}: "
        problems.append(error(where, prefix + problem.message))
    return spec, problems
