"""Run one call in a fresh, locked-down worker process (the caller's side).

The caller hands a connection socket to the zygote (`zygote.py`), which forks
a worker for it; the caller sends the call, learns the worker's pid, waits at
most `timeout_s` for the result and SIGKILLs the worker when time is up.
Whatever the worker does (run out of memory, loop, crash), the caller only
ever sees a result, a `SnippetError`, or a `SandboxError`.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from multiprocessing.connection import Connection
from typing import Any, Callable

from graphs.sandbox.config import SandboxConfig
from graphs.sandbox.errors import SandboxError, from_status, snippet_error

# Forking the first worker waits for the zygote to import torch and warm up.
_STARTUP_TIMEOUT_S = 120.0
_lock = threading.Lock()
_slots: dict[int, threading.BoundedSemaphore] = {}


class _Zygote:
    """The running fork server and the socket requests are sent on."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "graphs.sandbox.zygote", str(theirs.fileno())],
            pass_fds=[theirs.fileno()], env=env, stdin=subprocess.DEVNULL)
        theirs.close()
        self.control = ours

    def request(self) -> Connection:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            socket.send_fds(self.control, [b"r"], [theirs.fileno()])
        finally:
            theirs.close()
        return Connection(ours.detach())


_zygote: _Zygote | None = None


def start() -> None:
    """Start the fork server now (it is started on first use otherwise), so
    the first program need not wait while it imports torch."""
    with _lock:
        _running()


def _running() -> _Zygote:
    """The zygote, (re)started if it is not running; call with `_lock` held."""
    global _zygote
    if _zygote is None or _zygote.process.poll() is not None:
        _zygote = _Zygote()
    return _zygote


def _request() -> Connection:
    """A connection to a new worker."""
    with _lock:
        return _running().request()


def _worker_slots(limit: int) -> threading.BoundedSemaphore:
    """Bound concurrent workers so a full class cannot exhaust the machine."""
    with _lock:
        return _slots.setdefault(limit, threading.BoundedSemaphore(limit))


def call(fn: Callable[..., Any], *args: Any, config: SandboxConfig | None = None) -> Any:
    """`fn(*args)` evaluated in a worker; `fn` must be importable by name
    (a module-level function) and its arguments and result picklable."""
    config = config or SandboxConfig.from_env()
    slots = _worker_slots(config.max_workers)
    if not slots.acquire(timeout=config.queue_timeout_s):
        raise SandboxError("the server is busy; please run the program again in a moment")
    try:
        return _run(fn, args, config)
    finally:
        slots.release()


def _run(fn: Callable[..., Any], args: tuple, config: SandboxConfig) -> Any:
    connection = _request()
    worker, message = None, None
    try:
        started = _receive(connection, _STARTUP_TIMEOUT_S)
        if started is None or started[0] != "pid":
            raise SandboxError("the worker could not be started")
        worker = started[1]
        connection.send((fn, args, config))
        message = _receive(connection, config.timeout_s)
    finally:
        # Killed on time-out, and also when the caller is interrupted while it
        # waits (Streamlit stops a script run when the user reruns): a worker
        # nobody waits for must not keep running.
        if worker is not None and message is None:
            _kill(worker)
        connection.close()
    if message is None:
        raise SandboxError(f"the program ran longer than {config.timeout_s:g} s and was stopped")
    if message[0] == "status":
        raise from_status(message[1], config)
    return _unpack(message, config)


def _receive(connection: Connection, timeout: float) -> tuple | None:
    """The next message, or None if none came in time (or the peer is gone)."""
    try:
        return connection.recv() if connection.poll(timeout) else None
    except (EOFError, OSError):
        return ("status", None)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:  # it finished just now
        pass


def _unpack(message: tuple, config: SandboxConfig) -> Any:
    kind = message[0]
    if kind == "ok":
        return message[1]
    if kind == "snippet":
        raise snippet_error(*message[1:])
    if kind == "memory":
        raise SandboxError(f"the program used more than {config.memory_mb} MB of memory and was stopped",
                           line=message[1], col=message[2])
    raise SandboxError(f"the worker stopped unexpectedly ({message[1]}); the program was not run to the end")
