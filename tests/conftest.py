"""Shared fixtures: tiny note projects on disk, the CLI, and a real Anki collection."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from ankigen import notetimes
from ankigen.cli import main

# ankigen's own floor for note times, as a fresh process has it (tests run with none: below)
RENDERING_CHANGED = notetimes.RENDERING_CHANGED


@pytest.fixture(autouse=True)
def _no_rendering_floor(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests build in-process with no floor: their commits are dated before the real one, which
    would otherwise be every note's time. Subprocesses and module-scoped builds still have it."""
    monkeypatch.setattr(notetimes, "RENDERING_CHANGED", 0)


REPO = Path(__file__).resolve().parent.parent
SEED_NOTES = REPO / "source_notes"
UPDATE_GOLDENS = os.environ.get("ANKIGEN_UPDATE_GOLDENS") == "1"


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def problems(self) -> list[str]:
        return [
            line
            for line in self.stderr.splitlines()
            if ": error: " in line or ": warning: " in line
        ]


@dataclass
class Project:
    """A notes repository in a temporary folder, built through the real CLI."""

    root: Path

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    def run(self, *args: str, epoch: int | None = 1_700_000_000) -> Run:
        env = {"SOURCE_DATE_EPOCH": str(epoch)} if epoch is not None else {}
        old = Path.cwd()
        os.chdir(self.root)
        try:
            result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
        finally:
            os.chdir(old)
        return Run(result.exit_code, result.stdout, result.stderr)

    def build(self, *args: str, epoch: int | None = 1_700_000_000) -> Run:
        return self.run("build", *args, epoch=epoch)

    def apkg(self, name: str) -> Path:
        return self.root / "build" / f"{name}.apkg"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path / "notes-repo")


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """ankigen as a user runs it: a separate Python process."""
    return subprocess.run(
        [sys.executable, "-m", "ankigen", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )


def git(root: Path, *args: str, when: int | None = None) -> str:
    """Run git in `root` as a test author, at time `when` if given; its output."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
    }
    if when is not None:
        env |= {"GIT_AUTHOR_DATE": f"@{when} +0000", "GIT_COMMITTER_DATE": f"@{when} +0000"}
    done = subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, check=True)
    return done.stdout.decode()


def commit_all(root: Path, message: str = "notes") -> None:
    """Commit everything in `root` as a test author, making it a repository first if need be."""
    if not (root / ".git").exists():
        git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", message)


def spy_on_parses(
    monkeypatch: pytest.MonkeyPatch, counted: Callable[[Path], bool] = lambda path: True
) -> list[str]:
    """The names of the files parse_source is then called on, those `counted` says, in order."""
    from ankigen import parse as parse_module

    calls: list[str] = []
    real = parse_module.parse_source

    def spy(source, *args, **kwargs):  # type: ignore[no-untyped-def]
        if counted(source.path):
            calls.append(source.path.name)
        return real(source, *args, **kwargs)

    monkeypatch.setattr(parse_module, "parse_source", spy)
    return calls


def commit_each(root: Path, commits: dict[str, int]) -> None:
    """A new repository in `root` with one commit per path (file or folder), at its time."""
    git(root, "init", "-q")
    for path, when in commits.items():
        git(root, "add", path)
        git(root, "commit", "-qm", path, when=when)


@pytest.fixture
def collection(tmp_path: Path) -> Iterator[object]:
    """A fresh, empty Anki collection driven by the official backend."""
    from anki.collection import Collection

    (tmp_path / "collection").mkdir()
    col = Collection(str(tmp_path / "collection" / "collection.anki2"))
    yield col
    col.close()


def import_apkg(col: object, path: Path) -> object:
    """Import a package with the desktop dialog's default options; returns the import log."""
    from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest

    response = col.import_anki_package(  # type: ignore[attr-defined]
        ImportAnkiPackageRequest(package_path=str(path), options=ImportAnkiPackageOptions())
    )
    return response.log
