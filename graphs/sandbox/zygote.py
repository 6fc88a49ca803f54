"""The fork server: one process with torch imported that forks every worker.

Why not `multiprocessing`'s forkserver: each of its children re-imports the
server's `__main__` (for `streamlit run`, all of Streamlit) before running
anything, and it speaks pickle.  This zygote forks twice per request:

    zygote --fork--> monitor --fork--> worker (locked in, runs the call)

The monitor runs only our code.  It reads the caller's request (JSON), forks
the worker with a fresh pipe's write end as its only writable descriptor,
reads at most `max_result_mb` from the pipe before the deadline, kills the
worker at the deadline or as soon as the caller hangs up (Streamlit stops a
run when the user reruns), reaps it, and sends the caller one trusted frame:
the wait status, whether time or size ran out, then the worker's raw bytes.
The worker never holds the caller's socket, so nothing it writes is read
as anything but untrusted JSON, and it cannot name a pid for anyone to kill.

At start the zygote proves the wall (`jobs.PROBE`) and tells the caller
whether programs can be locked in, and if not, why (fail closed).
"""
from __future__ import annotations

import argparse
import os
import select
import signal
import socket
import sys
import time
from typing import Any

from graphs.errors import ProgramError
from graphs.sandbox import channel, syscalls
from graphs.sandbox.config import SandboxConfig
from graphs.sandbox.lockdown import Wall, lock_in
from graphs.sandbox.syscalls import RESULT_FD

REQUEST_LIMIT = 64 * 1024 * 1024
_READ_CHUNK = 1 << 20
_wall = Wall(rules=None, reason="the zygote has not built the filter yet")


def main(argv: list[str]) -> None:
    """Warm up, prove the wall, report it, then serve requests: each is one
    byte on the control socket carrying a connection socket's fd."""
    options = _parser().parse_args(argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server's Ctrl-C; we end when it closes the socket
    import graphs.sandbox.preload  # noqa: F401  (torch, the core, warm-up)

    global _wall
    _wall = _build_wall(options.broken_filter)
    control = socket.socket(fileno=options.control_fd)
    channel.send_frame(control, channel.dumps(_prove(_wall)))
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # monitors are reaped by the kernel
    while True:
        data, fds, _, _ = socket.recv_fds(control, 1, 1)
        if not data:  # the server went away: so does the zygote, without tearing torch down
            os._exit(0)
        if os.fork() == 0:
            control.close()
            _monitor(fds[0])
        os.close(fds[0])


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="graphs.sandbox.zygote")
    parser.add_argument("control_fd", type=int)
    parser.add_argument("--owner", type=int, help="the server's pid, so `ps` shows whose zygote this is")
    parser.add_argument("--broken-filter", action="store_true",
                        help="for tests of fail-closed: build a filter that refuses nothing")
    return parser


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
    from graphs.sandbox.jobs import probe_findings

    if wall.rules is None:
        return {"locked": False, "reason": f"seccomp unavailable: {wall.reason}"}
    ours, theirs = socket.socketpair()
    monitor = os.fork()
    if monitor == 0:
        ours.close()
        _monitor(theirs.detach())
    theirs.close()
    try:
        with ours:
            findings = exchange(ours, make_request(probe_findings, [], SandboxConfig(), filtered=True),
                                SandboxConfig())
    except ProgramError as exc:
        return {"locked": False, "reason": f"seccomp unavailable: the probe failed: {exc}"}
    finally:
        os.waitpid(monitor, 0)
    if findings:
        refused = ", ".join(findings)
        return {"locked": False, "reason": f"seccomp unavailable: a locked worker was allowed {refused}"}
    return {"locked": True, "reason": None}


def _monitor(fd: int) -> None:
    """Serve one request on the connection socket `fd`; never returns."""
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        caller = socket.socket(fileno=fd)
        request = channel.loads(channel.recv_frame(caller, REQUEST_LIMIT))
        config = SandboxConfig(**request["config"])
        result_read, result_write = os.pipe()
        worker = os.fork()
        if worker == 0:
            _worker(request, config, result_write)
        os.close(result_write)
        channel.send_frame(caller, channel.STARTED)
        outcome = _supervise(worker, result_read, caller, config)
        if outcome is not None:
            header, data = outcome
            channel.send_frame(caller, channel.dumps(header))
            channel.send_frame(caller, data)
    finally:
        os._exit(0)


def _supervise(worker: int, result_read: int, caller: socket.socket,
               config: SandboxConfig) -> tuple[dict[str, Any], bytes] | None:
    """Collect the worker's bytes until it exits, the deadline passes, it
    writes too much, or the caller hangs up (then None: nobody to tell)."""
    deadline = time.monotonic() + config.timeout_s
    limit = config.max_result_mb * 1024 * 1024
    exited = os.pidfd_open(worker) if hasattr(os, "pidfd_open") else None
    poller = select.poll()
    for fd in (result_read, caller.fileno()) + (() if exited is None else (exited,)):
        poller.register(fd, select.POLLIN)
    chunks: list[bytes] = []
    size, status, reading = 0, None, True
    timed_out = oversized = False
    while status is None or reading:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            timed_out = True
            break
        # Without a pidfd (not Linux) the worker's exit is noticed by polling.
        wait_ms = remaining * 1000 if exited is not None else min(remaining * 1000, 20)
        events = poller.poll(wait_ms)
        if any(fd == caller.fileno() for fd, _ in events):
            _kill_and_reap(worker)
            return None
        if reading and any(fd == result_read for fd, _ in events):
            chunk = os.read(result_read, _READ_CHUNK)
            if not chunk:
                reading = False
                poller.unregister(result_read)
            size += len(chunk)
            if size > limit:
                oversized = True
                break
            chunks.append(chunk)
        if status is None and (exited is None or any(fd == exited for fd, _ in events)):
            pid, found = os.waitpid(worker, os.WNOHANG)
            if pid:
                status = found
                if exited is not None:
                    poller.unregister(exited)
    if status is None:
        status = _kill_and_reap(worker)
    header = {"status": status, "timed_out": timed_out, "oversized": oversized}
    return header, b"" if timed_out or oversized else b"".join(chunks)


def _kill_and_reap(worker: int) -> int:
    try:
        os.kill(worker, signal.SIGKILL)
    except ProcessLookupError:  # it ended just now (not reaped yet, so the pid is still its own)
        pass
    return os.waitpid(worker, 0)[1]


def _worker(request: dict[str, Any], config: SandboxConfig, result_write: int) -> None:
    """Lock in, run the call, write one JSON document on fd 3, exit."""
    try:
        try:
            lock_in(result_write, config, _wall, request["filtered"])
        except syscalls.Unavailable as exc:
            message: dict[str, Any] = {"error": {"kind": "wall", "message": str(exc)}}
        else:
            try:
                message = {"ok": _resolve(request["fn"])(*request["args"])}
            except BaseException as exc:  # every failure becomes a message, never a traceback
                try:
                    message = {"error": describe(exc)}
                except BaseException as worse:  # an exception whose text itself raises
                    message = {"error": {"kind": "crash", "message": type(worse).__name__}}
        try:
            data = channel.dumps(message)
        except Exception as exc:  # e.g. a result that is not JSON
            data = channel.dumps({"error": {"kind": "crash",
                                            "message": f"its result could not be sent: {type(exc).__name__}"}})
        view = memoryview(data)
        while view:
            view = view[os.write(RESULT_FD, view):]
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


def describe(exc: BaseException) -> dict[str, Any]:
    """The error a worker sends for a call that raised."""
    if _out_of_memory(exc):
        return {"kind": "memory", "line": getattr(exc, "line", None), "col": getattr(exc, "col", None)}
    if isinstance(exc, ProgramError):
        return {"kind": "program", "message": exc.message, "line": exc.line, "col": exc.col,
                "prints": getattr(exc, "prints", [])}
    return {"kind": "crash", "message": type(exc).__name__}


def _out_of_memory(exc: BaseException | None) -> bool:
    """True when the allocator hit RLIMIT_AS, however the error was wrapped."""
    for _ in range(8):  # a chain of causes is short; never walk it forever
        if exc is None:
            return False
        if isinstance(exc, MemoryError) or "can't allocate memory" in _text(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _text(exc: BaseException) -> str:
    """An exception's text, or nothing if its `__str__` raises (a program may define it so)."""
    try:
        return str(exc)
    except Exception:
        return ""


if __name__ == "__main__":
    main(sys.argv[1:])
