"""`--serve`: the preview folder on http://127.0.0.1, rebuilt whenever a note file changes.

The server runs in a thread; the main thread polls the notes' modification times, so Ctrl-C
reaches it and stops both. The open page asks for build.txt and swaps in what a rebuild changed.
What it has to say goes to the `say` it is given (cli.py's output).
"""

from __future__ import annotations

import functools
import http
import http.server
import os
import stat
import threading
import time
import webbrowser
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from . import PreviewError

POLL_SECONDS = 0.1  # a saved note shows in the open page within a second
IDLE_SHARE = 0.05  # at most this share of a core goes to looking at the notes while idle

Snapshot = dict[str, tuple[int, int]]  # path -> (mtime in ns, size)


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files, never cached by the browser, without a log line per request.

    Only regular files reached without a link are served, and no folder is listed: the preview
    folder may hold links a pull request committed.
    """

    def send_head(self) -> Any:
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


def start_server(folder: Path, port: int) -> http.server.ThreadingHTTPServer:
    """Serve `folder` on 127.0.0.1:`port` (0: any free port) from a background thread; raises
    PreviewError when the port cannot be had."""
    handler = functools.partial(_Handler, directory=str(folder.resolve()))
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
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
    watched, ignored = list(watched), [folder.resolve()]
    seen = snapshot(watched, ignored)  # before saying where: a save after that is seen
    server = start_server(folder, port)
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    say(f"Serving the preview at {url} — it rebuilds when a note changes; Ctrl-C stops.")
    if open_browser:
        webbrowser.open(url)
    looked = 0.0  # seconds the latest look took: a big tree of notes is looked at less often
    try:
        while True:
            time.sleep(max(POLL_SECONDS, looked / IDLE_SHARE))
            started = time.monotonic()
            now = snapshot(watched, ignored)
            looked = time.monotonic() - started
            if now != seen:
                seen = now
                rebuild()
    except KeyboardInterrupt:
        say("Stopped serving the preview.")
    finally:
        server.shutdown()
        server.server_close()


def snapshot(paths: Iterable[Path], ignored: Iterable[Path] = ()) -> Snapshot:
    """Modification time and size of every file under `paths`, but for hidden ones and those
    under `ignored` folders."""
    skip = {str(folder) for folder in ignored}
    found: Snapshot = {}
    for given in paths:
        if given.is_file():
            _stat_into(found, given)
            continue
        for folder, subfolders, files in os.walk(given.resolve()):
            subfolders[:] = [
                name
                for name in subfolders
                if not name.startswith(".") and os.path.join(folder, name) not in skip
            ]
            for name in files:
                if not name.startswith("."):
                    _stat_into(found, Path(folder, name))
    return found


def _stat_into(found: Snapshot, path: Path) -> None:
    try:
        stat = path.stat()
    except OSError:
        return  # removed while we looked
    found[str(path)] = (stat.st_mtime_ns, stat.st_size)
