"""Calls served by this very process: a command line's way to the wall.

The app's server keeps a fork server (`zygote.py`) because it runs program
after program; a command line runs one. Starting a zygote for it imported
torch a second time (2.5x an `import torch` in all) and left processes
behind when the command exited. Inside `forking()`, `graphs.sandbox.call`
instead forks its monitor from the calling process, which has imported
torch and the jobs module already:

    this process --fork--> monitor --fork--> worker (locked in, runs the call)

The monitor and the worker are the zygote's own code (`zygote.serve_one`),
so the wall is the same: seccomp filter, rlimits, `nobody`, one writable
descriptor, JSON over a bounded channel, proved by the probe before the
first call. What this process holds that the zygote does not, its
environment, is replaced in the monitor by the zygote's minimal one, its
strings overwritten in memory first. Every monitor is reaped when the block
ends (hung up on first, so a call cut short by Ctrl-C cannot keep it), and a
monitor kills and reaps its worker before it exits, so no process is left.
Only a process running one thread is forked from (see `call`).

A locked worker cannot import, and this process did not warm up as the
zygote does (its imports cost twice an `import torch`), so a call that
failed for want of a module is run again after each of the jobs module's
warm-up steps (`WARM_UPS`, cheapest first; else its `warm_up`) until it
needs none: a program that runs in the app runs here too, one that imports
only what torch has imported already pays for nothing, and an optimizer's
first step pays only for the imports.
"""

from __future__ import annotations

import ctypes
import os
import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from graphs.errors import ProgramError
from graphs.sandbox import client
from graphs.sandbox.client import WallStatus, minimal_environment

# What a worker's error says when the program needed a module this process had not imported.
_MISSING_MODULE = "No module named"
_served_here: ContextVar[Here | None] = ContextVar("served_here", default=None)
_warmed: dict[str, int] = {}  # jobs module -> how many of its warm-up steps this process ran


class Here:
    """This process as the server a call is sent to: what `client.call` asks of the zygote."""

    def __init__(self, jobs: str) -> None:
        self.jobs = jobs
        self.monitors: list[int] = []
        self.connections: list[socket.socket] = []  # closed before the monitors are waited for
        self._status: WallStatus | None = None
        self.warm_steps = 0  # the warm-up steps a call of this block ran before it ran again

    def status(self) -> WallStatus:
        """The wall, built and proved in a locked worker once per process (as
        the zygote does at start, after importing the jobs module)."""
        if self._status is None:
            __import__(self.jobs)
            from graphs.sandbox import zygote  # here, not above: see `_adopt_minimal_environment`

            found = zygote.arm(os.environ.get(client.BROKEN_FILTER_VARIABLE) == "1")
            self._status = WallStatus(bool(found["locked"]), found["reason"])
        return self._status

    def connect(self) -> socket.socket:
        """A connection to a new monitor forked from this process."""
        from graphs.sandbox import zygote  # here, not above: see `_adopt_minimal_environment`

        self.reap_ended()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.connections.append(ours)
        self.monitors.append(zygote.fork_monitor(theirs, ours, _adopt_minimal_environment))
        return ours

    def warm_up(self) -> bool:
        """Run the jobs module's next warm-up step (each once per process);
        False when none is left."""
        module = sys.modules[self.jobs]
        steps = getattr(module, "WARM_UPS", None) or [getattr(module, "warm_up", lambda: None)]
        done = _warmed.get(self.jobs, 0)
        if done >= len(steps):
            return False
        _warmed[self.jobs] = done + 1
        self.warm_steps += 1
        steps[done]()
        return True

    def reap_ended(self) -> None:
        """Wait for the monitors that have ended already."""
        for monitor in list(self.monitors):
            if os.waitpid(monitor, os.WNOHANG)[0]:
                self.monitors.remove(monitor)

    def reap(self) -> None:
        """Hang up on every monitor (a call cut short by Ctrl-C may not have)
        and wait for each to end; a Ctrl-C meanwhile is raised after the last."""
        from graphs.sandbox import zygote  # here, not above: see `_adopt_minimal_environment`

        for connection in self.connections:
            connection.close()
        self.connections.clear()
        interrupted: KeyboardInterrupt | None = None
        for monitor in self.monitors:
            try:
                zygote.reap(monitor)
            except KeyboardInterrupt as exc:
                interrupted = exc
        self.monitors.clear()
        if interrupted is not None:
            raise interrupted

    def stop(self) -> None:
        """Nothing runs between calls here; what did is reaped."""
        self.reap()


@contextmanager
def forking(jobs: str) -> Iterator[Here]:
    """Calls in the block (`graphs.sandbox.call`) fork their monitor from this
    process, for functions of `jobs` (imported on the first call); when the
    block ends, every monitor it forked has ended and been reaped."""
    here = Here(jobs)
    token = _served_here.set(here)
    try:
        yield here
    finally:
        _served_here.reset(token)
        here.reap()


def call(fn: Callable[..., Any], *args: Any, **options: Any) -> Any:
    """`client.call` (the same options), served by this process inside
    `forking()`, where a call that failed for want of a module runs again
    after each warm-up step; outside it, by the zygote. A process running more
    than one thread is never forked from: a thread may hold a lock its copy
    would wait on forever (OpenBLAS's idle pool made a worker's first matrix
    product hang), so its calls go to the zygote, whose pools have one."""
    here = _served_here.get()
    if here is None or not single_threaded():
        return client.call(fn, *args, **options)
    while True:
        try:
            return client.call(fn, *args, server=here, **options)
        except ProgramError as error:
            if _MISSING_MODULE not in str(error) or not here.warm_up():
                raise


def single_threaded() -> bool:
    """True when this process runs one thread (False where /proc cannot tell)."""
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def _adopt_minimal_environment() -> None:
    """In a monitor just forked: the zygote's environment instead of this process's.
    (`zygote` is imported where it is used: the package imports this module,
    and `python -m graphs.sandbox.zygote` must find the zygote not imported yet.)"""
    _adopt(minimal_environment())


def _adopt(environment: dict[str, str]) -> None:
    """Make `environment` this process's whole environment, overwriting the
    old one's strings in memory first: a program can read its own memory,
    where they would outlive `os.environ.clear()`."""
    libc = ctypes.CDLL(None)
    entries = ctypes.POINTER(ctypes.c_char_p).in_dll(libc, "environ")
    addresses = ctypes.cast(entries, ctypes.POINTER(ctypes.c_void_p))
    index = 0
    while entries[index] is not None:
        name = len(entries[index].split(b"=")[0]) + 1  # names stay, so that clear() can unset them
        ctypes.memset(addresses[index] + name, 0, len(entries[index]) - name)
        index += 1
    for value in list(os.environ._data.values()):  # type: ignore[attr-defined]  # the bytes os.environ holds
        if len(value) > 1:  # one-byte bytes objects are shared by the whole interpreter
            ctypes.memset(id(value) + bytes.__basicsize__ - 1, 0, len(value))
    os.environ.clear()
    os.environ.update(environment)
