"""The fork server: one process with torch imported that forks every worker.

Why not `multiprocessing`'s forkserver: each of its children re-imports the
server's `__main__` (for `streamlit run`, all of Streamlit) before running
anything, and it speaks pickle.  This zygote forks twice per request:

    zygote --fork--> monitor --fork--> worker (locked in, runs the call)

The monitor runs only our code.  It reads the caller's request (JSON), forks
the worker with a fresh pipe's write end as its only writable descriptor,
reads at most `max_result_mb` from the pipe before the deadline, kills the
worker at the deadline or as soon as the caller hangs up (Streamlit stops a
run when the user reruns), sends the caller one trusted frame (the wait
status if the worker has ended, whether time or size ran out, then the
worker's raw bytes), and reaps it.
The worker never holds the caller's socket, so nothing it writes is read
as anything but untrusted JSON, and it cannot name a pid for anyone to kill.

At start the zygote proves the wall (`probe.PROBE`) and tells the caller
whether programs can be locked in, and if not, why (fail closed).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import select
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from graphs.errors import ProgramError
from graphs.sandbox import channel, probe, syscalls
from graphs.sandbox.config import SandboxConfig
from graphs.sandbox.failure import describe
from graphs.sandbox.lockdown import Wall, lock_in
from graphs.sandbox.syscalls import RESULT_FD

REQUEST_LIMIT = 64 * 1024 * 1024
_READ_CHUNK = 1 << 20
# Reports relayed to the caller: at most one per interval and so many per call
# (an honest job sends one per 0.2 s); the rest are dropped, never queued.
REPORT_INTERVAL_S = 0.1
MAX_REPORTS = 10_000
_wall = Wall(rules=None, reason="the zygote has not built the filter yet")


def main(argv: list[str]) -> None:
    """Warm up, prove the wall, report it, then serve requests: each is one
    byte on the control socket carrying a connection socket's fd."""
    options = _parser().parse_args(argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server's Ctrl-C; we end when it closes the socket
    _prepare(options.jobs)
    verdict = arm(options.broken_filter)
    control = socket.socket(fileno=options.control_fd)
    channel.send_frame(control, channel.dumps(verdict))
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # monitors are reaped by the kernel
    while True:
        data, fds, _, _ = socket.recv_fds(control, 1, 1)
        if not data:  # the server went away: so does the zygote, without tearing torch down
            os._exit(0)
        if os.fork() == 0:
            control.close()
            serve_one(fds[0])
        os.close(fds[0])


def _prepare(jobs: str) -> None:
    """Import the jobs module the server named, let it warm up (a locked-in
    worker cannot import lazily, so everything it may need is imported now
    and inherited through fork), then freeze the heap: every object so far
    is permanent, so a worker's garbage collector never walks (and so never
    copies, page by page) the zygote's memory."""
    module = importlib.import_module(jobs)
    warm_up = getattr(module, "warm_up", None)
    if warm_up is not None:
        warm_up()
    gc.collect()
    gc.freeze()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="graphs.sandbox.zygote")
    parser.add_argument("control_fd", type=int)
    parser.add_argument("--jobs", required=True, help="the module whose functions workers run")
    parser.add_argument("--owner", type=int, help="the server's pid, so `ps` shows whose zygote this is")
    parser.add_argument(
        "--broken-filter",
        action="store_true",
        help="for tests of fail-closed: build a filter that refuses nothing",
    )
    return parser


def arm(broken: bool) -> dict[str, Any]:
    """Build this process's wall and prove it in a locked worker: what the
    zygote does at start, and a command line's own process before its first
    call (`direct`). `broken` is for tests of fail-closed."""
    global _wall
    _wall = _build_wall(broken)
    return _prove(_wall)


def _build_wall(broken: bool) -> Wall:
    try:
        rules = syscalls.build()
        if broken:
            import pyseccomp

            rules.reset(pyseccomp.ALLOW)
        return Wall(rules)
    except syscalls.Unavailable as exc:
        return Wall(rules=None, reason=str(exc))


def _prove(wall: Wall) -> dict[str, Any]:
    """Run the probe in a locked worker, through the monitor like any call."""
    from graphs.sandbox.client import exchange, make_request

    if wall.rules is None:
        return {"locked": False, "reason": f"seccomp unavailable: {wall.reason}"}
    ours, theirs = socket.socketpair()
    monitor = fork_monitor(theirs, ours)
    try:
        with ours:
            findings = exchange(
                ours, make_request(probe.findings, [], SandboxConfig(), filtered=True), SandboxConfig()
            )
    except ProgramError as exc:
        return {"locked": False, "reason": f"seccomp unavailable: the probe failed: {exc}"}
    finally:
        reap(monitor)
    if findings:
        allowed = ", ".join(map(str, findings))
        return {"locked": False, "reason": f"seccomp unavailable: a locked worker was allowed {allowed}"}
    return {"locked": True, "reason": None}


def fork_monitor(
    theirs: socket.socket, ours: socket.socket, prepare: Callable[[], None] | None = None
) -> int:
    """Fork a monitor that serves one call on `theirs` (after `prepare()`, in
    the child); its pid. SIGINT is ignored across the fork, so the monitor
    ignores it from its first instruction: a Ctrl-C reaches it as its caller
    hanging up, and never as a KeyboardInterrupt in its copy of the caller's code."""
    main = threading.current_thread() is threading.main_thread()  # only it may set handlers
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        monitor = os.fork()
        if monitor == 0:
            ours.close()
            if prepare is not None:
                prepare()
            serve_one(theirs.detach())
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    theirs.close()
    return monitor


def reap(pid: int) -> None:
    """Wait for child `pid` to the end: a Ctrl-C that interrupts the wait
    (a KeyboardInterrupt out of `waitpid`) is raised again once it is reaped,
    so that no monitor outlives its caller. The monitor ends at once: its
    caller has hung up before waiting."""
    interrupted: KeyboardInterrupt | None = None
    while True:
        try:
            os.waitpid(pid, 0)
            break
        except KeyboardInterrupt as exc:
            interrupted = exc
    if interrupted is not None:
        raise interrupted


def serve_one(fd: int) -> None:
    """Serve one request on the connection socket `fd`; never returns."""
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(channel.STOP_SIGNAL, signal.SIG_IGN)  # the worker ignores it until its job handles it
        caller = socket.socket(fileno=fd)
        request = channel.loads(channel.recv_frame(caller, REQUEST_LIMIT))
        config = SandboxConfig(**request["config"])
        result_read, result_write = os.pipe()
        worker = os.fork()
        if worker == 0:
            _worker(request, config, result_write)
        os.close(result_write)
        watch = _Watch(worker, result_read, caller, config)
        try:
            channel.send_frame(caller, channel.STARTED)
            watch.run()
            if not watch.cancelled:
                channel.send_frame(caller, channel.dumps(watch.header()))
                channel.send_frame(caller, watch.data())
        finally:  # a caller gone mid-send must not leave the worker running unwatched
            watch.end()
    finally:
        os._exit(0)


class _Watch:
    """One worker watched until it has answered, the deadline passed, it wrote
    too much, or the caller hung up (`cancelled`: nobody is left to tell).

    An honest worker ends its document with a newline (JSON itself has none),
    so the answer can go out before the worker's exit has torn down its copy of
    torch's memory; a worker that lies about its end only spoils its own result.
    Before its document it may write report lines (`channel.REPORT`), relayed
    to the caller as they come (`_Reports`). The caller may ask for a stop
    (`channel.STOP`): the worker is sent `channel.STOP_SIGNAL`, and again with
    each report until it answers (a signal that came before its job could
    handle it was ignored).
    """

    def __init__(self, worker: int, result_read: int, caller: socket.socket, config: SandboxConfig) -> None:
        self.worker, self.result_read, self.caller = worker, result_read, caller
        self.deadline = time.monotonic() + config.timeout_s
        self.limit = config.max_result_mb * 1024 * 1024
        self.chunks: list[bytes] = []
        self.size = 0
        self.reports = _Reports(caller)
        self.stopping = False
        self.status: int | None = None  # set once reaped: then the pid is no longer ours to signal
        self.complete = self.timed_out = self.oversized = self.cancelled = False
        self.exited = os.pidfd_open(worker) if hasattr(os, "pidfd_open") else None

    def run(self) -> None:
        poller = select.poll()
        for fd in (self.result_read, self.caller.fileno()) + (() if self.exited is None else (self.exited,)):
            poller.register(fd, select.POLLIN)
        reading = True
        while not self.complete and (reading or self.status is None):
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                self.timed_out = True
                return
            # Without a pidfd (not Linux) the worker's exit is noticed by polling.
            wait_ms = remaining * 1000 if self.exited is not None else min(remaining * 1000, 20)
            ready = {fd for fd, _ in poller.poll(wait_ms)}
            if self.caller.fileno() in ready and not self._heard():
                self.cancelled = True
                return
            if reading and self.result_read in ready:
                chunk = os.read(self.result_read, _READ_CHUNK)
                reading = bool(chunk)
                if not reading:
                    poller.unregister(self.result_read)
                self.size += len(chunk)
                if self.size > self.limit:
                    self.oversized = True
                    return
                self._take(chunk)
            if self.status is None and (self.exited is None or self.exited in ready):
                self._reap(os.WNOHANG)
                if self.status is not None and self.exited is not None:
                    poller.unregister(self.exited)

    def _heard(self) -> bool:
        """Read what the caller sent: False when it hung up; a stop request
        signals the worker (once, and only while it is still ours)."""
        try:
            data = self.caller.recv(64)
        except OSError:
            return False
        if channel.STOP in data and not self.stopping:
            self.stopping = True
            self._signal_stop()
        return bool(data)

    def _signal_stop(self) -> None:
        if self.status is None:  # not reaped: the pid is still the worker's
            os.kill(self.worker, channel.STOP_SIGNAL)

    def _take(self, chunk: bytes) -> None:
        """Report lines go to the caller; the rest is the worker's document."""
        if not self.chunks:
            sent = self.reports.sent
            chunk = self.reports.take(chunk)
            if self.stopping and self.reports.sent > sent:
                self._signal_stop()
            if not chunk:
                return
        self.chunks.append(chunk)
        self.complete = b"\n" in chunk

    def header(self) -> dict[str, Any]:
        return {"status": self.status, "timed_out": self.timed_out, "oversized": self.oversized}

    def data(self) -> bytes:
        return b"" if self.timed_out or self.oversized else b"".join(self.chunks)

    def end(self) -> None:
        """Kill the worker if it is still ours, and reap it."""
        if self.status is None:
            os.kill(self.worker, signal.SIGKILL)  # not reaped yet, so the pid is still its own
            self._reap(0)

    def _reap(self, flags: int) -> None:
        pid, status = os.waitpid(self.worker, flags)
        if pid:
            self.status = status


class _Reports:
    """Splits report lines off the start of a worker's output and relays them
    (at most one per REPORT_INTERVAL_S, MAX_REPORTS in all) to the caller. A
    line longer than `channel.MAX_REPORT` ends reporting: it and all after it
    are taken as the document, which then fails to decode on the caller's side."""

    def __init__(self, caller: socket.socket) -> None:
        self.caller = caller
        self.pending = b""
        self.sent = 0
        self.last = -REPORT_INTERVAL_S

    def take(self, chunk: bytes) -> bytes:
        """What of `chunk` is not a report: the start of the document (or nothing yet)."""
        data = self.pending + chunk
        while data.startswith(channel.REPORT):
            end = data.find(b"\n", 0, channel.MAX_REPORT + 1)
            if end < 0:
                if len(data) > channel.MAX_REPORT:
                    break  # too long to be a report: the document (spoilt) from here
                self.pending = data
                return b""
            self._relay(data[:end])
            data = data[end + 1 :]
        self.pending = b""
        return data

    def _relay(self, line: bytes) -> None:
        now = time.monotonic()
        if self.sent < MAX_REPORTS and now - self.last >= REPORT_INTERVAL_S:
            self.sent, self.last = self.sent + 1, now
            channel.send_frame(self.caller, line)  # REPORT and the worker's raw JSON


def _worker(request: dict[str, Any], config: SandboxConfig, result_write: int) -> None:
    """Lock in, run the call, write one JSON document on fd 3, exit."""
    try:
        try:
            lock_in(result_write, config, _wall, request["filtered"])
        except syscalls.Unavailable as exc:
            message: dict[str, Any] = {"error": {"kind": "wall", "message": str(exc)}}
        else:
            channel.report_to(RESULT_FD)
            try:
                message = {"ok": _resolve(request["fn"])(*request["args"])}
            except BaseException as exc:  # noqa: BLE001 (every failure becomes a message, never a traceback)
                try:
                    message = {"error": describe(exc)}
                except BaseException as worse:  # noqa: BLE001 (an exception whose text itself raises)
                    message = {"error": {"kind": "crash", "message": type(worse).__name__}}
        try:
            data = channel.dumps(message)
        except Exception as exc:  # noqa: BLE001 (e.g. a result that is not JSON)
            data = channel.dumps(
                {"error": {"kind": "crash", "message": f"its result could not be sent: {type(exc).__name__}"}}
            )
        view = memoryview(data + b"\n")  # the end of the document (see `_Watch`)
        while view:
            view = view[os.write(RESULT_FD, view) :]
    finally:
        os._exit(0)


def _resolve(name: str) -> Any:
    """A module-level function named `module:qualname`, from modules already
    imported: a request never makes the worker import anything."""
    module_name, _, qualname = name.partition(":")
    target: Any = sys.modules[module_name]
    for part in qualname.split("."):
        target = getattr(target, part)
    return target


if __name__ == "__main__":
    main(sys.argv[1:])
