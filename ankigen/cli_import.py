"""`ankigen import`: the click command that adopts an Anki deck (the work is in `adopt/`).

Kept apart from cli.py, which it joins as one more command; like the others it loads the heavy
modules (the package reader, markdownify) only when it runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .context import Context
from .plural import counted


class _NothingWritten(click.ClickException):
    """An unreadable package or a file in the way: exit status 2, nothing written."""

    exit_code = 2


@click.command("import")
@click.argument("package", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Folder for the adopted notes. Default: the package's name, in the working folder.",
)
@click.pass_obj
def import_command(context: Context, package: Path, output: Path | None) -> None:
    """Adopt an Anki deck: its notes as markdown, GUIDs kept.

    Writes FOLDER/ankigen.toml and one markdown file per top-level deck in FOLDER/notes/, with
    subdecks as sections, one heading per note (its GUID pinned, so a build of the folder
    updates the notes it came from) and the pictures in FOLDER/notes/media/. Nothing is
    written over an existing file. A note ankigen cannot build is listed with the reason.

    The notes written are then checked as `ankigen check` would, and their problems (a
    formula MathJax cannot typeset, say) printed at their lines, to fix before building.

    Exit status: 0 every note adopted and sound, 1 some listed and left out or with problems,
    2 nothing written.
    """
    from .adopt import adopt
    from .config import shown

    folder = output or context.cwd / package.stem
    try:
        result = adopt(package, folder)
    except ValueError as exc:
        raise _NothingWritten(str(exc)) from exc
    except FileExistsError as exc:
        raise _NothingWritten(f"nothing was written: these files exist already: {exc}") from exc
    for refusal in result.refused:
        click.echo(f"{package}: note GUID {refusal.guid!r}: {refusal.reason}", err=True)
    kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(result.kinds.items()))
    click.echo(f"{shown(folder)}/: {counted(result.notes, 'note')} adopted ({kinds or 'none'})")
    if result.allow_html:
        click.echo("  some fields keep raw HTML: ankigen.toml sets allow_html = true")
    if result.refused:
        click.echo(f"  {counted(len(result.refused), 'note')} left out, listed above", err=True)
    problems = _check(folder, context) if result.notes else 0
    if problems:
        click.echo(f"  {counted(problems, 'problem')} to fix before `ankigen build`", err=True)
    if result.refused or problems:
        sys.exit(1)


def _check(folder: Path, context: Context) -> int:
    """`ankigen check` of the notes just written, its problems printed: how many errors."""
    from .build import check_cards
    from .config import load_config, seen_from_here
    from .errors import Diagnostics, print_diagnostics

    diagnostics = Diagnostics()
    config = seen_from_here(load_config(folder, diagnostics), folder)
    check_cards(config, [config.source], diagnostics, context=context)
    print_diagnostics(diagnostics)
    return len(diagnostics.errors)
