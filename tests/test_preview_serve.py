"""`ankigen preview --serve`: served on 127.0.0.1, rebuilt on every change, stopped by Ctrl-C."""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest

from .conftest import Project


class _Lines:
    """The lines a stream prints, collected by a thread so that reading never blocks a test."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self._queue.put(line)

    def wait_for(self, wanted: Callable[[str], bool], timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.1)
            except queue.Empty:
                continue
            self.lines.append(line)
            if wanted(line):
                return line
        raise AssertionError(f"not printed within {timeout} s; got {self.lines}")


def _fetch(url: str, timeout: float = 5) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        assert response.headers["Cache-Control"] == "no-store"
        return str(response.read().decode("utf-8"))


def _with_cards(url: str) -> str:
    """The served page and the data files of its cards."""
    page = _fetch(url)
    return page + "".join(_fetch(url + src) for src in re.findall(r'data-src="([^"]+)"', page))


def _until(check: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return True
        except urllib.error.HTTPError:
            pass  # a page fetched just before a rebuild names a chunk the rebuild replaced
        time.sleep(0.1)
    return False


@pytest.fixture
def served(project: Project) -> Iterator[tuple[Project, subprocess.Popen[str]]]:
    project.write("source_notes/deck.md", "# Deck\n\n## Original heading\n\nBody.\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "ankigen", "preview", "--serve", "--port", "0"],
        cwd=project.root,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield project, process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def test_serve_rebuilds_on_changes_and_stops_on_ctrl_c(served) -> None:  # type: ignore[no-untyped-def]
    project, process = served
    out, err = _Lines(process.stdout), _Lines(process.stderr)
    line = out.wait_for(lambda text: "Serving the preview at" in text, timeout=30)
    url = line.split(" at ", 1)[1].split()[0]
    assert url.startswith("http://127.0.0.1:")
    page = _fetch(url)
    assert "Original heading" in _with_cards(url)
    build = _fetch(url + "build.txt")
    assert f'data-build="{build}"' in page

    note = project.root / "source_notes" / "deck.md"
    note.write_text("# Deck\n\n## Edited heading\n\nBody.\n", encoding="utf-8")
    assert _until(lambda: "Edited heading" in _with_cards(url), timeout=15)
    assert _fetch(url + "build.txt") != build

    # a rebuild with errors prints them and leaves the last good preview in place
    note.write_text("# Deck\n\n## Broken heading\n\n{{c1::never closed\n", encoding="utf-8")
    err.wait_for(lambda text: "error: cloze deletion is never closed" in text, timeout=15)
    err.wait_for(lambda text: "the last good preview stays" in text, timeout=5)
    shown = _with_cards(url)
    assert "Edited heading" in shown and "Broken heading" not in shown

    process.send_signal(signal.SIGINT)
    assert process.wait(10) == 0
    out.wait_for(lambda text: "Stopped serving the preview" in text, timeout=5)
    with pytest.raises(OSError):
        _fetch(url)


def test_sigterm_stops_the_server_as_ctrl_c_does(served) -> None:  # type: ignore[no-untyped-def]
    _, process = served
    out = _Lines(process.stdout)
    line = out.wait_for(lambda text: "Serving the preview at" in text, timeout=30)
    url = line.split(" at ", 1)[1].split()[0]
    process.send_signal(signal.SIGTERM)
    assert process.wait(10) == 0
    out.wait_for(lambda text: "Stopped serving the preview" in text, timeout=5)
    with pytest.raises(OSError):
        _fetch(url)


def test_a_page_closed_while_a_file_is_sent_prints_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ankigen.preview.serve import start_server

    (tmp_path / "big.js").write_bytes(b"x" * 20_000_000)
    server = start_server(tmp_path, 0)
    try:
        with socket.create_connection(server.server_address[:2]) as connection:
            connection.sendall(b"GET /big.js HTTP/1.0\r\n\r\n")
            connection.recv(1000)
            connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
        time.sleep(1)
    finally:
        server.shutdown()
        server.server_close()
    assert capsys.readouterr().err == ""


def test_serve_on_a_port_in_use_is_an_error(project: Project) -> None:
    project.write("source_notes/deck.md", "# Deck\n\n## Card\n\nBody.\n")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = project.run("preview", "--serve", "--port", str(port))
    assert result.exit_code == 1
    assert f"cannot serve on 127.0.0.1:{port}" in result.stderr
    assert (Path(project.root) / "build" / "preview" / "index.html").is_file()


def test_the_watch_skips_hidden_files_and_the_preview_itself(tmp_path: Path) -> None:
    from ankigen.preview.serve import NoteFilter

    notes, other = tmp_path / "notes", tmp_path / "other"
    names = ("deck.md", "img/dot.png", ".deck.md.swp", ".git/index", "preview/index.html")
    for name in (*names, "one.md", "two.md"):
        folder = other if name.endswith(("one.md", "two.md")) else notes
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(name)
    keep = NoteFilter([notes, other / "one.md"], ignored=[notes / "preview"])
    real = notes.resolve()
    assert [name for name in names if keep(None, str(real / name))] == ["deck.md", "img/dot.png"]
    assert keep(None, str(real / "new.md"))  # a file added later
    assert keep(None, str(other.absolute() / "one.md"))  # a file given on its own
    assert not keep(None, str(other.absolute() / "two.md"))  # but not its neighbours
    assert not keep(None, str(tmp_path / "elsewhere.md"))


def test_a_change_in_a_hidden_file_rebuilds_nothing(served) -> None:  # type: ignore[no-untyped-def]
    project, process = served
    out = _Lines(process.stdout)
    out.wait_for(lambda text: "Serving the preview at" in text, timeout=30)
    notes = project.root / "source_notes"
    (notes / ".deck.md.swp").write_text("swap", encoding="utf-8")
    with pytest.raises(AssertionError, match="not printed"):
        out.wait_for(lambda text: "index.html:" in text, timeout=2)
    (notes / "deck.md").write_text("# Deck\n\n## Edited heading\n\nBody.\n", encoding="utf-8")
    out.wait_for(lambda text: "index.html:" in text, timeout=15)


def test_the_page_hears_of_a_rebuild_as_it_is_written(served) -> None:  # type: ignore[no-untyped-def]
    """`build.txt?after=ID` is held until the build is another, then answered at once."""
    project, process = served
    out = _Lines(process.stdout)
    line = out.wait_for(lambda text: "Serving the preview at" in text, timeout=30)
    url = line.split(" at ", 1)[1].split()[0]
    build = _fetch(url + "build.txt")
    assert _fetch(url + "build.txt?after=another") == build  # not the page's: answered at once
    heard: list[str] = []
    asking = threading.Thread(
        target=lambda: heard.append(_fetch(url + f"build.txt?after={build}", timeout=30))
    )
    asking.start()
    time.sleep(1.5)
    assert heard == []  # held while nothing changes
    note = project.root / "source_notes" / "deck.md"
    note.write_text("# Deck\n\n## Edited heading\n\nBody.\n", encoding="utf-8")
    asking.join(30)
    [answer] = heard
    assert answer not in ("", build)
    assert answer == (project.root / "build" / "preview" / "build.txt").read_text()


def test_a_held_question_is_answered_after_a_while_and_when_the_server_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ankigen.preview import serve

    monkeypatch.setattr(serve, "WAIT_SECONDS", 0.5)
    (tmp_path / "build.txt").write_text("one")
    builds = serve.Builds()
    server = serve.start_server(tmp_path, 0, builds)
    url = f"http://127.0.0.1:{server.server_address[1]}/build.txt?after=one"
    try:
        started = time.monotonic()
        assert _fetch(url) == "one"  # the same build, after WAIT_SECONDS
        assert 0.4 < time.monotonic() - started < 5
        answers: list[str] = []
        asking = threading.Thread(target=lambda: answers.append(_fetch(url)))
        monkeypatch.setattr(serve, "WAIT_SECONDS", 60.0)
        asking.start()
        time.sleep(0.3)
        builds.stop()
        asking.join(5)
        assert answers == ["one"]
    finally:
        server.shutdown()
        server.server_close()


def test_rebuilds_follow_changes_and_memory_is_tidied_once_idle(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ankigen.preview import serve

    done: list[str] = []
    monkeypatch.setattr(serve, "_set_aside", lambda: done.append("tidy"))
    monkeypatch.setattr(serve, "TIDY_AFTER_SECONDS", 0.0)
    changes: list[set[object]] = [set(), {"a"}, {"b"}, set(), set(), {"c"}]
    serve._rebuild_on(changes, lambda: done.append("rebuild"))
    assert done == ["tidy", "rebuild", "rebuild", "tidy", "rebuild"]


def test_the_warm_up_loads_parsing_and_rendering_and_touches_no_file(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from ankigen.config import Config\n"
        "from ankigen.stages import warm_up\n"
        "assert 'ankigen.parse' not in sys.modules and 'ankigen.render' not in sys.modules\n"
        "warm_up(Config())\n"
        "print(sorted(m for m in ('ankigen.parse', 'ankigen.render', 'markdown_it') "
        "if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['ankigen.parse', 'ankigen.render', 'markdown_it']"
    assert list(tmp_path.iterdir()) == []


def test_serve_gives_regular_files_only_never_links_or_listings(tmp_path: Path) -> None:
    from ankigen.preview.serve import start_server

    secret = tmp_path / "secret.txt"
    secret.write_text("the secret")
    folder = tmp_path / "preview"
    (folder / "sub").mkdir(parents=True)
    (folder / "index.html").write_text("the page")
    (folder / "leak.txt").symlink_to(secret)
    (folder / "outside").symlink_to(tmp_path)
    server = start_server(folder, 0)
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        assert _fetch(url) == "the page"
        assert _fetch(url + "index.html") == "the page"
        for path in ("leak.txt", "outside/secret.txt", "sub/", "outside/", "sub"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                _fetch(url + path)
            assert refused.value.code in (301, 404), path
    finally:
        server.shutdown()
        server.server_close()


def test_the_open_page_shows_a_change_without_reloading(served, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from .preview.chromium import Browser

    project, process = served
    out = _Lines(process.stdout)
    line = out.wait_for(lambda text: "Serving the preview at" in text, timeout=30)
    url = line.split(" at ", 1)[1].split()[0]
    browser = Browser(tmp_path / "profile")
    try:
        browser.open(url)
        assert browser.wait_until("document.documentElement.dataset.mathjax", 30) == "done"
        browser.evaluate("window.stillTheSamePage = true")
        note = project.root / "source_notes" / "deck.md"
        note.write_text("# Deck\n\n## Edited heading\n\nBody $x^2$.\n", encoding="utf-8")
        shown = "document.querySelector('.pv-title')?.textContent === 'Edited heading'"
        assert browser.wait_until(shown, timeout=15)
        assert browser.evaluate("window.stillTheSamePage") is True  # updated in place
        typeset = "document.querySelectorAll('.card mjx-container').length"
        assert browser.wait_until(typeset, timeout=30) == 1  # the back's formula
        served_here = f"request off the disk: {url}"  # the page and its files, from the server
        assert [p for p in browser.problems() if not p.startswith(served_here)] == []
    finally:
        browser.close()


LAB_NOTES = Path(__file__).parent / "preview" / "lab" / "notes"


def _folder(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _save(path: Path, text: str) -> None:
    """As an editor saves: the whole new text at once, so the watch never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    written = path.with_name(f".{path.name}.saving")
    written.write_text(text, encoding="utf-8")
    os.replace(written, path)


def test_the_served_folder_is_what_a_fresh_preview_writes(project: Project) -> None:
    """The served process keeps what it read between rebuilds; after edits, additions and
    removals (and a file put back as it was), its folder is byte for byte a fresh run's."""
    shutil.copytree(LAB_NOTES, project.root / "source_notes")
    notes = project.root / "source_notes"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "SOURCE_DATE_EPOCH": "1700000000"}
    ankigen = [sys.executable, "-m", "ankigen", "preview"]
    process = subprocess.Popen(
        [*ankigen, "--serve", "--port", "0"],
        cwd=project.root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    second, cloze, lens = notes / "second.md", notes / "cloze-lab.md", notes / "optics/lens.md"
    originals = {path: path.read_text(encoding="utf-8") for path in (second, cloze, lens)}
    steps: list[Callable[[], object]] = [
        lambda: _save(second, originals[second].replace("## ", "## Edited: ", 1)),
        lambda: _save(notes / "added.md", "# Added\n\n## A new card\n\nIts body, $x^2$.\n"),
        lambda: _save(lens, originals[lens].replace("![a lens](lens.png)", "No picture.")),
        cloze.unlink,
        lambda: _save(second, originals[second]),  # as it was: what the process read first
        lambda: _save(cloze, originals[cloze]),
        lambda: _save(lens, originals[lens]),
        (notes / "added.md").unlink,
    ]
    try:
        out = _Lines(process.stdout)  # type: ignore[arg-type]
        out.wait_for(lambda text: "Serving the preview at" in text, timeout=30)
        for number, step in enumerate(steps):
            step()
            out.wait_for(lambda text: "index.html:" in text, timeout=30)  # rebuilt
            fresh = f"build/fresh-{number}"
            run = subprocess.run([*ankigen, "--output", fresh], cwd=project.root, env=env)
            assert run.returncode == 0
            served = _folder(project.root / "build" / "preview")
            assert served == _folder(project.root / fresh), f"after step {number}"
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(10)
