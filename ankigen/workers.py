"""Child processes: pools that die with their parent, and a call bounded by a deadline.

A worker blocked on its task queue never notices that its parent was killed (kill -9, an
out-of-memory kill): it would wait for good, holding its memory. Every child ankigen starts
therefore asks the kernel for a signal when its parent dies (Linux), and also watches its
parent from a thread (everywhere else, and as a fallback).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
WATCH_SECONDS = 0.5
STARTUP_SECONDS = 120.0  # a child's imports, on a slow and busy machine


def die_with_parent(parent: int) -> None:
    """Make this process exit as soon as process `parent` is gone (a worker's initializer).

    Ctrl-C reaches every process of the terminal's foreground group: it is the parent's to
    act on, so a child ignores it (and ends with the parent) rather than print a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # the watchdog below still works
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)
    threading.Thread(target=_watch, args=(parent,), name="parent-watch", daemon=True).start()


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(WATCH_SECONDS)
    os._exit(1)


def pool(workers: int) -> ProcessPoolExecutor:
    """A process pool whose workers exit when this process dies."""
    import concurrent.futures  # looked up when called: a warm build never needs it

    return concurrent.futures.ProcessPoolExecutor(
        max_workers=workers, initializer=die_with_parent, initargs=(os.getpid(),)
    )


class DeadlineExceeded(Exception):
    """A call bounded by `call_with_deadline` did not finish in time, and its child was killed."""


class ChildFailed(Exception):
    """The child running a bounded call died (out of memory, a crash) before answering."""


_child: tuple[multiprocessing.process.BaseProcess, Connection] | None = None


def _forget_child() -> None:
    """In a forked process: the parent's child is not ours to use (or to kill)."""
    global _child
    if _child is not None:
        _child[1].close()  # only this process's copy of the pipe
        _child = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_child)


def call_with_deadline(function: Callable[[Any], Any], argument: Any, seconds: float) -> Any:
    """`function(argument)` run in a child process, killed if it takes over `seconds`.

    The child is started once and reused; it is replaced after a kill. `function` must be
    module-level and must not raise (return the failure as a value instead).
    """
    global _child
    if _child is None or not _child[0].is_alive():
        _child = _start()
    connection = _child[1]
    try:
        connection.send((function, argument))
        if connection.poll(seconds):
            return connection.recv()
    except (EOFError, OSError) as err:
        _stop()
        raise ChildFailed(str(err) or type(err).__name__) from None
    _stop()
    raise DeadlineExceeded(f"over {seconds:g} s")


def _start() -> tuple[multiprocessing.process.BaseProcess, Connection]:
    linux = sys.platform.startswith("linux")
    context = multiprocessing.get_context("fork") if linux else multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(
        target=_serve, args=(theirs, ours, os.getpid()), name="ankigen-deadline", daemon=True
    )
    process.start()
    theirs.close()
    if not ours.poll(STARTUP_SECONDS) or ours.recv() != "ready":
        process.kill()
        raise ChildFailed("the child process did not start")
    return process, ours


def _stop() -> None:
    global _child
    if _child is not None:
        process, connection = _child
        _child = None
        process.kill()
        process.join()
        connection.close()


def _serve(connection: Connection, other_end: Connection, parent: int) -> None:
    """The child's loop: answer calls until the parent closes its end or dies."""
    other_end.close()
    die_with_parent(parent)
    import numpy  # noqa: F401  (imported before the clock starts: not the call's cost)
    import sympy  # type: ignore[import-untyped, unused-ignore]  # noqa: F401

    connection.send("ready")
    while True:
        try:
            function, argument = connection.recv()
        except (EOFError, OSError):
            return
        connection.send(function(argument))
