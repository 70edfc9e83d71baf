"""Problems found in notes, each with the place in the source it came from.

This is also the one place that prints them, for every command: `path:line:col: severity:
message` lines, GitHub workflow commands, or a JSON list (`print_diagnostics`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]

# parse's warning for a note file without cards; a build with no cards at all makes it an error
NO_HEADINGS = "no `##` headings, so no cards in this file"


@dataclass(frozen=True, order=True)
class Location:
    """A 1-based line and column in a note file."""

    path: str
    line: int = 1
    col: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem: where it is, how bad it is, and what to do about it."""

    location: Location
    severity: Severity
    message: str

    def __str__(self) -> str:
        return problem_line(str(self.location), self.severity, self.message)


def problem_line(where: str, severity: str, message: str) -> str:
    """A problem as one line, `path:line:col: severity: message`; without a place when `where`
    is empty."""
    return f"{where}: {severity}: {message}" if where else f"{severity}: {message}"


@dataclass
class Diagnostics:
    """Collects every problem of a run, so all of them are reported at once."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, location: Location, message: str) -> None:
        self.items.append(Diagnostic(location, "error", message))

    def warning(self, location: Location, message: str) -> None:
        self.items.append(Diagnostic(location, "warning", message))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "warning"]

    def failed(self, strict: bool = False) -> bool:
        """True when the build must stop: any error, or any warning under --strict."""
        return bool(self.errors or (strict and self.warnings))

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(sorted(self.items))

    def __len__(self) -> int:
        return len(self.items)


FORMATS = ("text", "github", "json")


def format_diagnostics(diagnostics: Diagnostics, fmt: str) -> str:
    """All problems as text lines, GitHub workflow commands, or a JSON list."""
    if fmt == "json":
        import json

        rows = [
            {
                "path": d.location.path,
                "line": d.location.line,
                "col": d.location.col,
                "severity": d.severity,
                "message": d.message,
            }
            for d in diagnostics
        ]
        return json.dumps(rows, indent=2)
    if fmt == "github":
        return "\n".join(_github_command(d) for d in diagnostics)
    return "\n".join(str(d) for d in diagnostics)


def print_diagnostics(diagnostics: Diagnostics, fmt: str = "text") -> None:
    """Print every problem: text lines on stderr, GitHub commands or a JSON list on stdout.

    Nothing is printed for no problems, except the empty JSON list.
    """
    import click

    output = format_diagnostics(diagnostics, fmt)
    if fmt == "json":
        click.echo(output)
    elif output:
        click.echo(output, err=fmt == "text")


def _github_command(diagnostic: Diagnostic) -> str:
    """A workflow command that GitHub shows as an annotation on the pull request's line."""

    def escape(text: str, property_value: bool = False) -> str:
        text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return text.replace(":", "%3A").replace(",", "%2C") if property_value else text

    where = diagnostic.location
    return (
        f"::{diagnostic.severity} file={escape(where.path, True)},line={where.line},"
        f"col={where.col}::{escape(diagnostic.message)}"
    )
