"""The command line: thin click commands over the pipeline in build.py.

Only click is imported at start-up; the pipeline (markdown, genanki, pygments) loads when a
command runs, so `ankigen --help` answers at once.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from . import __version__
from .errors import print_diagnostics

if TYPE_CHECKING:
    from .build import BuildResult
    from .config import Config
    from .diff import DeckDiff
    from .errors import Diagnostics

PROGRESS_THRESHOLD = 20  # files; smaller builds finish before a bar would help
T = TypeVar("T")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ankigen")
@click.pass_context
def main(context: click.Context) -> None:
    """Build Anki decks from markdown study notes."""
    # The pipeline makes millions of small objects and no garbage cycles worth collecting;
    # the cyclic collector would spend a quarter of a build walking them.
    if gc.isenabled():
        gc.disable()
        context.call_on_close(gc.enable)


_SOURCES = click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
_STRICT = click.option("--strict", is_flag=True, help="Treat warnings as errors.")


def _output_option(help: str) -> Callable[[Callable[..., None]], Any]:
    return click.option("-o", "--output", type=click.Path(path_type=Path), help=help)


def _load_config(diagnostics: Diagnostics) -> tuple[Config, Path]:
    """The settings of the project the working folder is in, with its folders relative to the
    working folder, and the project's folder. A problem in them ends the run with status 2."""
    from .config import find_project, load_config, seen_from_here

    root = find_project(Path.cwd())
    config = load_config(root, diagnostics)
    if diagnostics.failed():
        print_diagnostics(diagnostics)
        sys.exit(2)
    return seen_from_here(config, root), root


def _sources(given: tuple[Path, ...], config: Config, root: Path) -> list[Path]:
    """The note files and folders to read: those given, else the configured notes folder, which
    must exist (a new project's first run): say what was looked for and how to start."""
    if given:
        return list(given)
    if not config.source.exists():
        from .config import shown

        where = "" if root == Path.cwd() else f" of the project in {shown(root)}/"
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
def build(sources: tuple[Path, ...], output: Path | None, strict: bool, quiet: bool) -> None:
    """Build the notes into Anki .apkg packages.

    SOURCES are note folders or files; by default, the project's notes folder (`source`).
    Problems are printed as `path:line:col: error: message`; if there are any, nothing is
    written and the exit status is 1.
    """
    from .build import build as run_build
    from .errors import Diagnostics

    diagnostics = Diagnostics()
    config, root = _load_config(diagnostics)
    try:
        result = run_build(
            config,
            _sources(sources, config, root),
            output or config.output,
            diagnostics,
            strict=strict,
            progress=_progress,
            project=root,
        )
    except OSError as exc:
        written = [config.output, output.parent if output and output.suffix == ".apkg" else output]
        raise click.ClickException(_os_problem(exc, [f for f in written if f])) from exc
    print_diagnostics(diagnostics)
    if not result.written:
        failing = "warnings (--strict)" if not diagnostics.errors else "errors"
        click.echo(f"ankigen: build failed with {failing}; nothing was written", err=True)
        sys.exit(1)
    if not quiet:
        click.echo(_summary(result, diagnostics))


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
def check(sources: tuple[Path, ...], fmt: str, strict: bool, against: str | None) -> None:
    """Check the notes as build would; write nothing.

    SOURCES are note folders or files; by default, the project's notes folder. Nothing is
    drawn or packaged, so it is quicker than `build`.

    Exit status: 0 clean, 1 errors (or warnings with --strict), 2 usage errors.
    """
    from .build import check_cards
    from .errors import Diagnostics, Location

    diagnostics = Diagnostics()
    config, root = _load_config(diagnostics)
    notes = check_cards(config, _sources(sources, config, root), diagnostics, _progress)
    if against is not None:
        try:  # the notes' own problems are reported above, by check_cards
            effect = _diff_against(against, config, root, Diagnostics()).effect
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        for caveat in effect.caveats if effect else ():
            if caveat.kind == "namespace_changed":
                where = caveat.location or Location(caveat.where)
                diagnostics.error(where, f"since {against}, {caveat.message}")
    print_diagnostics(diagnostics, fmt)
    if fmt == "text":
        errors = _count(len(diagnostics.errors), "error")
        warnings = _count(len(diagnostics.warnings), "warning")
        click.echo(f"{_count(notes, 'note')} checked: {errors}, {warnings}", err=True)
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
def diff(packages: tuple[Path, ...], against: str | None, fmt: str) -> None:
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
            from .errors import Diagnostics

            diagnostics = Diagnostics()
            config, root = _load_config(diagnostics)
            result = _diff_against(against, config, root, diagnostics)
            print_diagnostics(diagnostics)
            if diagnostics.errors:
                sys.exit(1)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(format_diff(result, fmt))


def _diff_against(ref: str, config: Config, root: Path, diagnostics: Diagnostics) -> DeckDiff:
    """The configured notes compared with those of git revision `ref`, by GUID.

    The revision is built from a copy of its tree, which carries none of its history, so its
    notes have no release times: the import is judged by what changed.
    """
    from .build import read_notes
    from .diff import contents_from_notes, diff_contents, origins_from_notes
    from .git import run_git
    from .git.revision import notes_at_revision

    if run_git(root, "rev-parse", "--show-toplevel") is None:
        from .config import shown

        where = "this folder is" if root == Path.cwd() else f"the project {shown(root)}/ is"
        raise ValueError(
            f"--against {ref} compares with the notes' git history, but {where} not in a git "
            "repository: run it in a clone of the notes' repository"
        )
    old = notes_at_revision(ref, root, config.output)
    new = read_notes(config, _sources((), config, root), diagnostics)
    return diff_contents(
        contents_from_notes(old),
        contents_from_notes(new),
        old_ids=origins_from_notes(old, folder=config.source),
        new_ids=origins_from_notes(new),
    )


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
def preview(
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
    from .errors import Diagnostics
    from .preview import run_preview

    diagnostics = Diagnostics()
    config, root = _load_config(diagnostics)
    status = run_preview(
        config,
        _sources(sources, config, root),
        output or config.output / "preview",
        diagnostics,
        changed_since=changed_since,
        open_browser=open_browser,
        serve=serve,
        port=port,
    )
    print_diagnostics(diagnostics)
    sys.exit(status)


def _os_problem(exc: OSError, written: list[Path]) -> str:
    """What the system refused, and on which file: a write in the folders ankigen writes to, else
    a read."""
    reason = exc.strerror or str(exc)
    if exc.filename is None:
        return f"cannot build: {reason}"
    path = Path(os.fsdecode(exc.filename)).absolute()
    writing = any(path.is_relative_to(folder.absolute()) for folder in written)
    shown = os.path.relpath(path) if path.is_relative_to(Path.cwd()) else str(path)
    return f"cannot {'write' if writing else 'read'} {shown}: {reason}"


def _progress(items: Iterable[T], length: int) -> Iterable[T]:
    """`items`, with a progress bar on a terminal when there are enough of them to wait for."""
    if length < PROGRESS_THRESHOLD or not sys.stderr.isatty():
        return items
    return _bar(items, length)


def _bar(items: Iterable[T], length: int) -> Iterator[T]:
    # click's bar draws and clears itself only inside its `with` block.
    with click.progressbar(items, length=length, label="Notes", file=sys.stderr) as bar:
        yield from bar


def _summary(result: BuildResult, diagnostics: Diagnostics) -> str:
    lines = []
    for package in result.packages:
        notes = package.notes
        decks = len({note.deck for note in notes})
        basic = sum(note.kind == "basic" for note in notes)
        cards = sum(len(note.ordinals) for note in notes)
        size = package.path.stat().st_size
        lines.append(
            f"{package.path}: {_count(decks, 'deck')}, {_count(len(notes), 'note')} "
            f"({basic} basic, {len(notes) - basic} cloze), {_count(cards, 'card')}, "
            f"{_count(len(package.media), 'media file')}, {_size(size)}"
        )
    kept = len(result.unchanged)
    done = f"{_count(len(result.packages) - kept, 'package')} written"
    warnings = _count(len(diagnostics.warnings), "warning")
    lines.append(done + (f", {kept} unchanged" if kept else "") + f", {warnings}")
    return "\n".join(lines)


def _count(number: int, word: str) -> str:
    """`1 note`, `2 notes`: a number with its noun."""
    return f"{number} {word}{'s' * (number != 1)}"


def _size(size: int) -> str:
    return f"{size / 1024:.1f} KiB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MiB"
