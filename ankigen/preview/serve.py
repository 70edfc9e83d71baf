"""`--serve`: the preview folder on http://127.0.0.1, rebuilt whenever a note file changes.

The server runs in a thread. The main thread waits for the operating system to tell of a change
under the notes (watchfiles: inotify, FSEvents, ReadDirectoryChangesW), so a save is seen at
once however many files there are, and Ctrl-C (or SIGTERM) reaches it and stops both. The open
page asks for `build.txt?after=ID`, which the server holds, looking at build.txt every
LOOK_SECONDS, until a rebuild has written another build (or WAIT_SECONDS pass), and swaps in
what the rebuild changed. What it has to say goes to the `say` it is given (cli.py's output).
"""

from __future__ import annotations

import functools
import gc
import http
import http.server
import itertools
import os
import signal
import stat
import sys
import threading
import time
import urllib.parse
import webbrowser
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from . import PreviewError

SETTLE_MS = 50  # a change is acted on once the notes have been still this long (an editor's
# save can be several writes)
WAKE_MS = 200  # how often the watch wakes while nothing changes, to tidy up and to hear Ctrl-C
WAIT_SECONDS = 20.0  # the longest a page's question for a newer build is held open
TIDY_AFTER_SECONDS = 1.0  # the garbage of a rebuild is collected after this long idle
LOOK_SECONDS = 0.02  # how often a held question looks at build.txt, written mid-rebuild


class Builds:
    """What the open pages wait on. A question for a build other than its own looks at
    build.txt every LOOK_SECONDS, since a rebuild writes it before its memo and its summary;
    told that the server stops, every question is answered."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._stopping = False

    def stop(self) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify_all()

    def wait_for_other(self, build_file: str, build: str) -> None:
        """Return once `build_file` holds a build other than `build`, at the latest after
        WAIT_SECONDS or when the server stops."""
        deadline = time.monotonic() + WAIT_SECONDS
        with self._changed:
            while not self._stopping and _read_build(build_file) == build:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._changed.wait(min(left, LOOK_SECONDS))


def _read_build(path: str) -> str:
    try:
        with open(path, "rb") as file:
            return file.read(64).decode("ascii", "replace").strip()
    except OSError:
        return ""


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files, never cached by the browser, without a log line per request.

    Only regular files reached without a link are served, and no folder is listed: the preview
    folder may hold links a pull request committed. `build.txt?after=ID` is answered once the
    build is another than ID: the open page hears of a rebuild at once, without polling.
    """

    builds: Builds | None = None

    def send_head(self) -> Any:
        address = urllib.parse.urlsplit(self.path)
        if address.path == "/build.txt" and self.builds is not None:
            after = urllib.parse.parse_qs(address.query).get("after")
            if after:
                self.builds.wait_for_other(self.translate_path("/build.txt"), after[0])
        path = self.translate_path(self.path)
        if os.path.isdir(path) and not os.path.islink(path):
            if not self.path.partition("?")[0].partition("#")[0].endswith("/"):
                return super().send_head()  # the redirect to the folder's address with a slash
            path = os.path.join(path, "index.html")
        if not _plain_file(path):
            self.send_error(http.HTTPStatus.NOT_FOUND, "File not found")
            return None
        return super().send_head()

    def list_directory(self, path: Any) -> None:
        self.send_error(http.HTTPStatus.NOT_FOUND, "File not found")
        return None

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _plain_file(path: str) -> bool:
    """Whether `path` is a regular file with no link anywhere on the way to it."""
    try:
        return os.path.realpath(path) == os.path.abspath(path) and stat.S_ISREG(
            os.lstat(path).st_mode
        )
    except (OSError, ValueError):
        return False


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A page closed or reloaded while a file was on its way is no error to print."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def start_server(
    folder: Path, port: int, builds: Builds | None = None
) -> http.server.ThreadingHTTPServer:
    """Serve `folder` on 127.0.0.1:`port` (0: any free port) from a background thread, with
    the waiting `build.txt` when given `builds`; raises PreviewError when the port cannot be
    had."""
    handler = functools.partial(
        type("Handler", (_Handler,), {"builds": builds}), directory=str(folder.resolve())
    )
    try:
        server = _Server(("127.0.0.1", port), handler)
    except OSError as exc:
        raise PreviewError(
            f"cannot serve on 127.0.0.1:{port}: {exc.strerror or exc}; choose another --port"
        ) from exc
    threading.Thread(target=server.serve_forever, name="ankigen-preview", daemon=True).start()
    return server


def serve(
    folder: Path,
    port: int,
    watched: Iterable[Path],
    rebuild: Callable[[], None],
    say: Callable[[str], None],
    *,
    open_browser: bool = False,
) -> None:
    """Serve the preview and rebuild it on every change until Ctrl-C, telling `say` where it
    is served and when it stops.

    Files under `folder` itself are not watched, so a preview written inside the notes does not
    rebuild itself forever.
    """
    import watchfiles

    watched = list(watched)
    stop = threading.Event()
    changes = watchfiles.watch(
        *_watched_folders(watched),
        watch_filter=NoteFilter(watched, ignored=[folder]),
        debounce=10 * SETTLE_MS,
        step=SETTLE_MS,
        rust_timeout=WAKE_MS,
        yield_on_timeout=True,
        stop_event=stop,
    )
    builds = Builds()
    put_back = _stop_on_signals(stop)
    try:
        first = next(changes, set())  # the watch is on before the address is told
        server = start_server(folder, port, builds)
        try:
            url = f"http://127.0.0.1:{server.server_address[1]}/"
            say(f"Serving the preview at {url} — it rebuilds when a note changes; Ctrl-C stops.")
            if open_browser:
                webbrowser.open(url)
            _rebuild_on(itertools.chain([first], changes), rebuild)
        finally:
            builds.stop()
            server.shutdown()
            server.server_close()
    except KeyboardInterrupt:
        pass
    finally:
        put_back()
        changes.close()
    say("Stopped serving the preview.")


def _stop_on_signals(stop: threading.Event) -> Callable[[], None]:
    """Ctrl-C (SIGINT) and SIGTERM (what `kill` and service managers send) stop the server:
    they set `stop`, which the watch looks at, and raise KeyboardInterrupt. The flag keeps a
    Ctrl-C that lands in a finalizer, where Python drops the exception, from being lost. A
    SIGINT ignored from the start (a background job of a script) stays ignored. Returns what
    puts the handlers back."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def stopped(signum: int, frame: object) -> None:
        stop.set()
        raise KeyboardInterrupt

    before = {}
    for number in (signal.SIGINT, signal.SIGTERM):
        if number == signal.SIGINT and signal.getsignal(number) is signal.SIG_IGN:
            continue
        before[number] = signal.signal(number, stopped)

    def put_back() -> None:
        for number, handler in before.items():
            signal.signal(number, handler)

    return put_back


def _rebuild_on(changes: Iterable[set[Any]], rebuild: Callable[[], None]) -> None:
    """Rebuild after every set of changes; between them, once idle, tidy the memory up."""
    tidy_at: float | None = 0.0  # when to collect the garbage: once the open pages are updated
    for changed in changes:
        if changed:
            rebuild()
            tidy_at = time.monotonic() + TIDY_AFTER_SECONDS
        elif tidy_at is not None and time.monotonic() >= tidy_at:
            _set_aside()
            tidy_at = None


def _set_aside() -> None:
    """Collect the garbage, and set what is left aside from later collections: called while
    idle.

    The served process keeps every note it read; without this, a rebuild's allocations set off
    a full collection over all of them, a tenth of a second on 10,000 cards, while the author
    waits.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


class NoteFilter:
    """Which changes the watch acts on: those to the files and folders given, but for hidden
    names (an editor's swap file, .git) and what is under the `ignored` folders (the preview,
    which may be written inside the notes and would rebuild itself forever)."""

    def __init__(self, watched: Iterable[Path], ignored: Iterable[Path]) -> None:
        given = [Path(os.path.abspath(path)) for path in watched]
        self.files = {str(path) for path in given if not path.is_dir()}
        self.folders = [str(path.resolve()) for path in given if path.is_dir()]
        self.ignored = [str(Path(os.path.abspath(path)).resolve()) for path in ignored]

    def __call__(self, change: object, path: str) -> bool:
        if path in self.files:
            return True
        if any(_under(path, folder) for folder in self.ignored):
            return False
        for folder in self.folders:
            if _under(path, folder):
                inside = os.path.relpath(path, folder).split(os.sep)
                return not any(part.startswith(".") for part in inside)
        return False


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _watched_folders(watched: Iterable[Path]) -> list[str]:
    """The folders to watch: those given, and the folder of each file given, since an editor
    may save a file by putting a new one in its place."""
    folders = set()
    for path in watched:
        absolute = Path(os.path.abspath(path))
        folders.add(str(absolute.resolve() if absolute.is_dir() else absolute.parent))
    return sorted(folders)
