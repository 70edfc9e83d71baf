"""Every command as a user runs it: in a terminal (a pseudo-terminal) and piped, on a project
big enough to show progress."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ankigen.cli_output import PROGRESS_THRESHOLD

from .conftest import commit_each, run_cli

FILES = PROGRESS_THRESHOLD + 10


def run_in_terminal(*args: str, cwd: Path) -> tuple[int, str]:
    """ankigen run with a terminal as its stdin, stdout and stderr: exit status, screen text."""
    leader, follower = pty.openpty()
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000", "COLUMNS": "100", "TERM": "xterm"}
    with subprocess.Popen(
        [sys.executable, "-m", "ankigen", *args],
        cwd=cwd,
        env=env,
        stdin=follower,
        stdout=follower,
        stderr=follower,
    ) as process:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: every holder of the terminal has closed it
                break
            if not chunk:
                break
            chunks.append(chunk)
        status = process.wait(timeout=120)
    os.close(leader)
    return status, b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")


def _lines(screen: str) -> list[str]:
    """The lines a terminal shows at the end: each carriage return overwrites its line."""
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen)
    return [line.rsplit("\r", 1)[-1].rstrip() for line in plain.split("\n") if line.strip()]


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A committed project of one-card files, enough of them for a progress bar."""
    root = tmp_path_factory.mktemp("terminal")
    for number in range(FILES):
        card = f"# Deck\n\n## Question {number}\n\nAnswer {number}\n"
        (root / "source_notes").mkdir(exist_ok=True)
        (root / "source_notes" / f"{number:02}.md").write_text(card, encoding="utf-8")
    commit_each(root, {"source_notes": 1_700_000_000})
    return root


def test_build_in_a_terminal_shows_progress_then_the_summary(big: Path) -> None:
    status, screen = run_in_terminal("build", "-o", "terminal", cwd=big)
    assert status == 0, screen
    lines = _lines(screen)
    assert re.fullmatch(r"Notes  \[#+\]  100%", lines[0]), lines
    assert lines[1:] == [
        f"terminal/deck.apkg: 1 deck, {FILES} notes ({FILES} basic, 0 cloze), {FILES} cards, "
        + lines[1].split(" cards, ")[1],
        "1 package written, 0 warnings",
    ]
    assert (big / "terminal" / "deck.apkg").is_file()


def test_build_piped_shows_no_progress(big: Path) -> None:
    done = run_cli("build", "-o", "piped", cwd=big, env={"SOURCE_DATE_EPOCH": "1700000000"})
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.splitlines()[-1] == "1 package written, 0 warnings"


@pytest.mark.parametrize("terminal", [True, False], ids=["terminal", "piped"])
def test_check_diff_and_preview(big: Path, terminal: bool) -> None:
    def run(*args: str) -> tuple[int, list[str]]:
        if terminal:
            status, screen = run_in_terminal(*args, cwd=big)
            return status, _lines(screen)
        done = run_cli(*args, cwd=big, env={"SOURCE_DATE_EPOCH": "1700000000"})
        return done.returncode, _lines(done.stdout + done.stderr)

    status, lines = run("check")
    assert status == 0, lines
    assert lines[-1] == f"{FILES} notes checked: 0 errors, 0 warnings"
    status, lines = run("diff", "--against", "HEAD")
    assert status == 0, lines
    assert lines[0].startswith(f"Anki will add 0 notes, update 0 and leave {FILES} alone"), lines
    assert lines[1:] == ["No card changes."]
    status, lines = run("preview", "-o", f"preview-{terminal}")
    assert status == 0, lines
    assert lines[-1] == f"preview-{terminal}/index.html: {FILES} cards, from {FILES} notes"
    packages = [big / f"{name}.apkg" for name in ("old", "new")]
    for package in packages:
        assert run("build", "-q", "-o", str(package))[0] == 0
    status, lines = run("diff", *map(str, packages))
    assert status == 0, lines
    assert lines[0].startswith(f"Anki will add 0 notes, update 0 and leave {FILES} alone"), lines


def test_ctrl_c_stops_serve_in_a_terminal_and_no_child_prints_a_traceback(tmp_path: Path) -> None:
    """Ctrl-C reaches every process of the terminal's foreground group: the served process
    says it stopped, and its children (here the one that reads a function plot's formula
    under a deadline) stay quiet."""
    import select
    import time

    notes = tmp_path / "source_notes"
    notes.mkdir()
    plot = "```plot function\nexpr: sin(x) * {}\nrange: [-3, 3]\n```\n"
    deck = notes / "deck.md"
    deck.write_text(f"# Deck\n\n## A wave\n\n{plot.format(1)}", encoding="utf-8")
    pid, leader = pty.fork()
    if pid == 0:  # the child: ankigen on the terminal, as its session's foreground
        os.chdir(tmp_path)
        os.execv(
            sys.executable, [sys.executable, "-m", "ankigen", "preview", "--serve", "--port", "0"]
        )
    screen = b""

    def read_until(wanted: bytes, seconds: float) -> None:
        nonlocal screen
        deadline = time.monotonic() + seconds
        while wanted not in screen and time.monotonic() < deadline:
            if select.select([leader], [], [], 0.1)[0]:
                try:
                    screen += os.read(leader, 65536)
                except OSError:
                    return

    try:
        read_until(b"Ctrl-C stops.", 60)
        deck.write_text(f"# Deck\n\n## A wave\n\n{plot.format(2)}", encoding="utf-8")
        read_until(b" s)", 60)  # the rebuild's line, with its time
        os.write(leader, b"\x03")
        read_until(b"Stopped serving the preview.", 30)
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(leader)
    text = screen.decode("utf-8", "replace")
    assert os.waitstatus_to_exitcode(status) == 0, text
    assert "Stopped serving the preview." in text
    assert "Traceback" not in text and "KeyboardInterrupt" not in text, text
