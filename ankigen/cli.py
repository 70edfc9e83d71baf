"""The command line: thin click commands over the pipeline in build.py.

The edge of the program: each command's inputs from outside its arguments (working folder,
environment, clock) are read here once, into a `Context` passed down to everything it runs.
Only this module and cli_output.py talk to the terminal and set the exit status.

Only click is imported at start-up; the pipeline (markdown, genanki, pygments) loads when a
command runs, so `ankigen --help` answers at once.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from . import __version__
from .cli_import import import_command
from .cli_output import build_summary, os_problem, progress, run_preview
from .context import Context
from .errors import Diagnostics, Location, print_diagnostics
from .plural import counted

if TYPE_CHECKING:
    from .config import Config
    from .diff import DeckDiff


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ankigen")
@click.pass_context
def main(command: click.Context) -> None:
    """Build Anki decks from markdown study notes."""
    command.obj = Context.from_environment()  # the one read of the process's inputs
    _pause_cycle_collector(command)


def _pause_cycle_collector(command: click.Context) -> None:
    """Python's cyclic garbage collector off while the command runs. The pipeline makes
    millions of small objects and no cycles worth collecting: with the collector on, a cold
    build of 10,000 cards takes 5-9% more processor time."""
    if gc.isenabled():
        gc.disable()
        command.call_on_close(gc.enable)


_SOURCES = click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
_STRICT = click.option("--strict", is_flag=True, help="Treat warnings as errors.")


def _output_option(help: str) -> Callable[[Callable[..., None]], Any]:
    return click.option("-o", "--output", type=click.Path(path_type=Path), help=help)


def _load_config(diagnostics: Diagnostics, context: Context) -> tuple[Config, Path]:
    """The settings of the project the working folder is in, with its folders relative to the
    working folder, and the project's folder. A problem in them ends the run with status 2."""
    from .config import find_project, load_config, seen_from_here

    root = find_project(context.cwd)
    config = load_config(root, diagnostics)
    if diagnostics.failed():
        print_diagnostics(diagnostics)
        sys.exit(2)
    return seen_from_here(config, root), root


def _sources(given: tuple[Path, ...], config: Config, root: Path, context: Context) -> list[Path]:
    """The note files and folders to read: those given, else the configured notes folder, which
    must exist (a new project's first run): say what was looked for and how to start."""
    if given:
        return list(given)
    if not config.source.exists():
        from .config import shown

        where = "" if root == context.cwd else f" of the project in {shown(root)}/"
        _fail(
            f"no notes to build: there is no notes folder {config.source.as_posix()}/ "
            f"(the `source` setting{where}).\n"
            "To start, pass note files or folders (`ankigen build notes/`, "
            "`ankigen build deck.md`),\n"
            'or set `source = "notes"` under [tool.ankigen] in pyproject.toml, or in ankigen.toml.'
        )
    return [config.source]


class _SetupProblem(click.ClickException):
    """A setup problem, not a note's: exit status 2."""

    exit_code = 2


def _fail(message: str) -> NoReturn:
    """End the run with `message`, exit status 2: for a setup problem, not a note's."""
    raise _SetupProblem(message)


@main.command()
@_SOURCES
@_output_option(
    "Folder for the .apkg files, or a path ending in .apkg for one package. "
    "Default: the configured output (build/)."
)
@_STRICT
@click.option("-q", "--quiet", is_flag=True, help="Print only problems, no summary.")
@click.pass_obj
def build(
    context: Context, sources: tuple[Path, ...], output: Path | None, strict: bool, quiet: bool
) -> None:
    """Build the notes into Anki .apkg packages.

    SOURCES are note folders or files; by default, the project's notes folder (`source`).
    Problems are printed as `path:line:col: error: message`; if there are any, nothing is
    written and the exit status is 1.
    """
    from .build import build as run_build

    diagnostics = Diagnostics()
    config, root = _load_config(diagnostics, context)
    given = _sources(sources, config, root, context)
    try:
        result = run_build(
            config, given, output or config.output, diagnostics, strict, progress, root, context
        )
    except OSError as exc:
        written = [config.output, output.parent if output and output.suffix == ".apkg" else output]
        problem = os_problem(exc, [f for f in written if f], context.cwd)
        raise click.ClickException(problem) from exc
    print_diagnostics(diagnostics)
    if not result.written:
        failing = "warnings (--strict)" if not diagnostics.errors else "errors"
        click.echo(f"ankigen: build failed with {failing}; nothing was written", err=True)
        sys.exit(1)
    if not quiet:
        click.echo(build_summary(result, diagnostics))


def _format_option(choices: list[str], help: str) -> Callable[[Callable[..., None]], Any]:
    return click.option(
        "--format", "fmt", type=click.Choice(choices), default="text", show_default=True, help=help
    )


@main.command()
@_SOURCES
@_format_option(
    ["text", "github", "json"],
    "text: path:line:col lines; github: annotations in a workflow; json: for tools.",
)
@_STRICT
@click.option(
    "--against",
    metavar="REF",
    help="Also fail if the notes' namespace changed since git revision REF: every student "
    "would get a second copy of the deck. Builds both revisions' notes, as `diff` does.",
)
@click.pass_obj
def check(
    context: Context, sources: tuple[Path, ...], fmt: str, strict: bool, against: str | None
) -> None:
    """Check the notes as build would; write nothing.

    SOURCES are note folders or files; by default, the project's notes folder. Nothing is
    drawn or packaged, so it is quicker than `build`.

    Exit status: 0 clean, 1 errors (or warnings with --strict), 2 usage errors.
    """
    from .build import check_cards

    diagnostics = Diagnostics()
    config, root = _load_config(diagnostics, context)
    given = _sources(sources, config, root, context)
    notes = check_cards(config, given, diagnostics, progress, context)
    if against is not None:
        try:  # the notes' own problems are reported above, by check_cards
            effect = _diff_against(against, config, root, Diagnostics(), context).effect
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        for caveat in effect.caveats if effect else ():
            if caveat.kind == "namespace_changed":
                where = caveat.location or Location(caveat.where)
                diagnostics.error(where, f"since {against}, {caveat.message}")
    print_diagnostics(diagnostics, fmt)
    if fmt == "text":
        errors = counted(len(diagnostics.errors), "error")
        warnings = counted(len(diagnostics.warnings), "warning")
        click.echo(f"{counted(notes, 'note')} checked: {errors}, {warnings}", err=True)
    if diagnostics.failed(strict):
        sys.exit(1)


@main.command()
@click.argument("packages", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--against",
    metavar="REF",
    help="Compare the notes as they were at git revision REF with the working tree.",
)
@_format_option(
    ["text", "markdown", "json"], "markdown is what CI posts as a pull request's summary."
)
@click.pass_obj
def diff(context: Context, packages: tuple[Path, ...], against: str | None, fmt: str) -> None:
    """Show what a new deck changes for students.

    Lists the notes added, changed and removed between OLD.apkg and NEW.apkg, or since REF.
    The first line says how many notes Anki will add, update and leave alone when a student
    who has the old deck imports the new one: by the packages' note times, or for REF by what
    changed. Warnings follow for what Anki will not do: move a card to another deck, change a
    note's type, delete a note or an emptied cloze card, keep GUIDs when the namespace changes.

    Notes are matched by GUID; changed fields are shown as a word diff. A removed note and an
    added one with nearly the same text are flagged as a likely rename, which would reset its
    review history, with the `{#id}` that keeps it. Exit status 0 whatever the differences.
    """
    from .diff import diff_contents, format_diff, read_package

    if against is not None and packages:
        raise click.UsageError("give either OLD.apkg NEW.apkg or --against REF, not both")
    try:
        if against is None:
            if len(packages) != 2:
                raise click.UsageError("give OLD.apkg and NEW.apkg, or --against REF")
            result = diff_contents(read_package(packages[0]), read_package(packages[1]))
        else:
            diagnostics = Diagnostics()
            config, root = _load_config(diagnostics, context)
            result = _diff_against(against, config, root, diagnostics, context)
            print_diagnostics(diagnostics)
            if diagnostics.errors:
                sys.exit(1)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(format_diff(result, fmt))


def _diff_against(
    ref: str, config: Config, root: Path, diagnostics: Diagnostics, context: Context
) -> DeckDiff:
    """The configured notes compared with those of git revision `ref`, by GUID (ValueError when
    the revision's cannot be read); the working tree's problems go to `diagnostics`."""
    from .build import read_notes
    from .diff.against import diff_notes, notes_at

    old = notes_at(ref, config, root, context)
    new = read_notes(config, _sources((), config, root, context), diagnostics, context=context)
    return diff_notes(old, new, config.source)


@main.command()
@_SOURCES
@_output_option("Folder for the preview. Default: preview/ in the configured output folder.")
@click.option(
    "--changed-since",
    metavar="REF",
    help="Preview only the cards added or changed since git revision REF.",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the preview in a browser.")
@click.option("--serve", is_flag=True, help="Serve it on localhost and rebuild on changes.")
@click.option(
    "--port", type=int, default=8000, show_default=True, help="Port for --serve (0: any free port)."
)
@click.pass_obj
def preview(
    context: Context,
    sources: tuple[Path, ...],
    output: Path | None,
    changed_since: str | None,
    open_browser: bool,
    serve: bool,
    port: int,
) -> None:
    """Write every card to an HTML page, as Anki shows it.

    One self-contained page, by default in preview/ of the output folder (build/preview/).
    """
    diagnostics = Diagnostics()
    config, root = _load_config(diagnostics, context)
    status = run_preview(
        config,
        _sources(sources, config, root, context),
        output or config.output / "preview",
        diagnostics,
        context,
        changed_since=changed_since,
        open_browser=open_browser,
        serve=serve,
        port=port,
    )
    print_diagnostics(diagnostics)
    sys.exit(status)


main.add_command(import_command)
