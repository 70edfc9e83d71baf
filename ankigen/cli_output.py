"""What the commands print besides the notes' problems (those are `errors.print_diagnostics`):
the build summary, a refused file's message, the progress bar, and the preview's lines as it is
written and served (`run_preview`). The command line is cli.py and this module; nothing below
them prints or exits.
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from .errors import Diagnostics, print_diagnostics
from .plural import counted

if TYPE_CHECKING:
    from .build import BuildResult
    from .config import Config
    from .context import Context
    from .preview import Preview

PROGRESS_THRESHOLD = 20  # files; smaller builds finish before a bar would help
T = TypeVar("T")


def progress(items: Iterable[T], length: int) -> Iterable[T]:
    """`items`, with a progress bar on a terminal when there are enough of them to wait for."""
    if length < PROGRESS_THRESHOLD or not sys.stderr.isatty():
        return items
    return _bar(items, length)


def _bar(items: Iterable[T], length: int) -> Iterator[T]:
    # click's bar draws and clears itself only inside its `with` block.
    with click.progressbar(items, length=length, label="Notes", file=sys.stderr) as bar:
        yield from bar


def os_problem(exc: OSError, written: list[Path], cwd: Path) -> str:
    """What the system refused, and on which file: a write in the folders ankigen writes to, else
    a read. The file is shown from the working folder `cwd` when it is inside it."""
    reason = exc.strerror or str(exc)
    if exc.filename is None:
        return f"cannot build: {reason}"
    path = Path(os.fsdecode(exc.filename)).absolute()
    writing = any(path.is_relative_to(folder.absolute()) for folder in written)
    shown = os.path.relpath(path, cwd) if path.is_relative_to(cwd) else str(path)
    return f"cannot {'write' if writing else 'read'} {shown}: {reason}"


_KIND_NAMES = (("reversed", "reversed"), ("type", "type-in"))  # shown when a package has them


def build_summary(result: BuildResult, diagnostics: Diagnostics) -> str:
    """A line per package written (decks, notes, cards, media, size), then the totals."""
    lines = []
    for package in result.packages:
        notes = package.notes
        decks = len({note.deck for note in notes})
        kinds = Counter(note.kind for note in notes)
        shown = [f"{kinds[kind]} {name}" for kind, name in _KIND_NAMES if kinds[kind]]
        by_kind = ", ".join([f"{kinds['basic']} basic", *shown, f"{kinds['cloze']} cloze"])
        cards = sum(len(note.ordinals) for note in notes)
        size = package.path.stat().st_size
        lines.append(
            f"{package.path}: {counted(decks, 'deck')}, {counted(len(notes), 'note')} "
            f"({by_kind}), {counted(cards, 'card')}, "
            f"{counted(len(package.media), 'media file')}, {_size(size)}"
        )
    kept = len(result.unchanged)
    done = f"{counted(len(result.packages) - kept, 'package')} written"
    warnings = counted(len(diagnostics.warnings), "warning")
    lines.append(done + (f", {kept} unchanged" if kept else "") + f", {warnings}")
    return "\n".join(lines)


def _size(size: int) -> str:
    return f"{size / 1024:.1f} KiB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MiB"


def run_preview(
    config: Config,
    sources: Sequence[Path],
    folder: Path,
    diagnostics: Diagnostics,
    context: Context,
    *,
    changed_since: str | None,
    open_browser: bool,
    serve: bool,
    port: int,
) -> int:
    """The `preview` command's run: write the preview and say where, then open or serve it;
    the exit status, 1 when the notes have errors (nothing written). A preview that cannot be
    made or served ends the run with its reason (click's status 1)."""
    import webbrowser

    from .preview import PreviewError, build_preview, summary

    def write(found: Diagnostics) -> Preview | None:
        since = changed_since
        return build_preview(
            config, sources, folder, found, changed_since=since, context=context, served=serve
        )

    try:
        written = write(diagnostics)
    except PreviewError as exc:
        raise click.ClickException(str(exc)) from exc
    if written is None:
        click.echo("ankigen: the notes have errors; no preview was written", err=True)
        return 1
    click.echo(summary(written))
    if not serve:
        if open_browser:
            webbrowser.open(written.index.resolve().as_uri())
        return 0
    from .preview.serve import serve as serve_folder
    from .stages import warm_up

    print_diagnostics(diagnostics)  # now, not after the server stops
    diagnostics.items.clear()
    warm_up(config)

    def rebuild() -> None:
        started = time.monotonic()
        fresh = Diagnostics()
        try:
            rebuilt = write(fresh)
        except PreviewError as exc:
            click.echo(f"ankigen: {exc}", err=True)
            return
        print_diagnostics(fresh)
        if rebuilt is None:
            click.echo("ankigen: the notes have errors; the last good preview stays", err=True)
        else:
            click.echo(f"{summary(rebuilt)} ({time.monotonic() - started:.1f} s)")

    try:
        serve_folder(folder, port, sources, rebuild, click.echo, open_browser=open_browser)
    except PreviewError as exc:
        raise click.ClickException(str(exc)) from exc
    return 0
