"""The fork server: one process with torch imported that forks every worker.

Why not `multiprocessing`'s forkserver: each of its children re-imports the
server's `__main__` (for `streamlit run`, all of Streamlit) before running
anything, which costs more than the program.  This zygote forks twice per
request instead:

    zygote --fork--> monitor --fork--> worker (locked down, runs the call)

The monitor tells the caller the worker's pid (so the caller can SIGKILL it
at its deadline) and, once the worker has ended, its wait status (so a crash
or a CPU-limit kill can be explained).  The worker sends its result on the
same connection before it exits, so the caller reads: pid, result, status.
"""
from __future__ import annotations

import os
import signal
import socket
import sys
from multiprocessing.connection import Connection
from typing import Any

from graphs.sandbox.limits import RESULT_FD, apply_limits
from graphs.snippet import SnippetError


def main(control_fd: int) -> None:
    """Serve requests: each is one byte carrying a connection socket's fd."""
    import graphs.sandbox.preload  # noqa: F401  (torch, the core, warm-up)

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # monitors are reaped by the kernel
    control = socket.socket(fileno=control_fd)
    while True:
        data, fds, _, _ = socket.recv_fds(control, 1, 1)
        if not data:  # the server went away: so does the zygote
            return
        if os.fork() == 0:
            control.close()
            _monitor(fds[0])
        os.close(fds[0])


def _monitor(fd: int) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    worker = os.fork()
    if worker == 0:
        _worker(fd)
    connection = Connection(fd)
    try:
        connection.send(("pid", worker))
        _, status = os.waitpid(worker, 0)
        connection.send(("status", status))
    finally:
        os._exit(0)


def _worker(fd: int) -> None:
    """Receive the call, lock down, run it, send one message, exit."""
    try:
        os.dup2(fd, RESULT_FD)
        if fd != RESULT_FD:
            os.close(fd)
        connection = Connection(RESULT_FD)
        fn, args, config = connection.recv()
        apply_limits(config)
        try:
            message = ("ok", fn(*args))
        except BaseException as exc:  # every failure becomes a message, never a traceback
            message = describe(exc)
        try:
            connection.send(message)
        except Exception as exc:  # e.g. an unpicklable result
            connection.send(("crash", f"its result could not be sent: {type(exc).__name__}"))
    finally:
        os._exit(0)


def describe(exc: BaseException) -> tuple[Any, ...]:
    """The message a worker sends for a call that raised."""
    if _out_of_memory(exc):
        line = getattr(exc, "line", None)
        return ("memory", line, getattr(exc, "col", None))
    if isinstance(exc, SnippetError):
        return ("snippet", exc.line, exc.col, exc.message)
    return ("crash", type(exc).__name__)


def _out_of_memory(exc: BaseException | None) -> bool:
    """True when the allocator hit RLIMIT_AS, however the error was wrapped."""
    for _ in range(8):  # a chain of causes is short; never walk it forever
        if exc is None:
            return False
        if isinstance(exc, MemoryError) or "can't allocate memory" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


if __name__ == "__main__":
    main(int(sys.argv[1]))
