"""Run one call in a fresh, locked-in worker process (the caller's side).

The caller hands a connection socket to the zygote (`zygote.py`), whose
monitor forks a worker for it; the caller sends the request as JSON and
reads back one frame from the monitor (trusted: our code) and the worker's
raw bytes (untrusted: decoded as bounded JSON and checked for shape).
Whatever the worker does (run out of memory, loop, crash, forge a result),
the caller only ever sees a result or a `ProgramError` of one line.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from graphs.errors import ProgramError
from graphs.sandbox import channel, probe
from graphs.sandbox.config import ENV_PREFIX, SandboxConfig, from_environment
from graphs.sandbox.failure import SandboxError, from_status

# Starting the zygote waits for it to import torch and warm up.
_STARTUP_TIMEOUT_S = 180.0
# The monitor enforces the deadline; the caller waits this much longer only
# so that a monitor that died cannot hang it.
_GRACE_S = 10.0
_MAX_MESSAGE = 1000
# Set by tests of fail-closed: the zygote builds a filter that refuses nothing.
BROKEN_FILTER_VARIABLE = ENV_PREFIX + "TEST_BROKEN_FILTER"
# The signals by which a limit stopped a worker (`from_status` says which), and that limit's field.
_LIMIT_SIGNALS = {signal.SIGXCPU: "cpu_s", signal.SIGKILL: "memory_mb"}
_lock = threading.Lock()
_jobs: str | None = None  # see serve()
_slots: dict[int, threading.BoundedSemaphore] = {}


@dataclass(frozen=True)
class WallStatus:
    """What the zygote's probe found: can typed programs be locked in, and if not, why."""

    locked: bool
    reason: str | None


def minimal_environment() -> dict[str, str]:
    """The zygote's whole environment.  Never the server's: Community Cloud
    exports Secrets as environment variables, and a program can read its own
    memory, where environment strings outlive `os.environ.clear()`."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "PYTHONPATH": os.pathsep.join(path for path in sys.path if path),
        "LANG": "C.UTF-8",
        "HOME": "/nonexistent",
        "OMP_NUM_THREADS": "1",
        "CUDA_VISIBLE_DEVICES": "",
        # malloc's heap in transparent huge pages: torch's 150 MB of it then
        # costs each fork a few hundred page-table entries instead of ~40,000.
        "GLIBC_TUNABLES": "glibc.malloc.hugetlb=1",
    }


class Server(Protocol):
    """Where a call's monitor is forked: the zygote, or this process itself (`direct.Here`)."""

    def status(self) -> WallStatus: ...

    def connect(self) -> socket.socket: ...

    def stop(self) -> None: ...


class _Zygote:
    """The running fork server and the socket requests are sent on."""

    def __init__(self, jobs: str) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        command = [
            sys.executable,
            "-m",
            "graphs.sandbox.zygote",
            str(theirs.fileno()),
            "--jobs",
            jobs,
            "--owner",
            str(os.getpid()),
        ]
        if os.environ.get(BROKEN_FILTER_VARIABLE) == "1":
            command.append("--broken-filter")
        self.process = subprocess.Popen(
            command, pass_fds=[theirs.fileno()], env=minimal_environment(), stdin=subprocess.DEVNULL
        )
        theirs.close()
        self.control = ours
        self.jobs = jobs
        self._status: WallStatus | None = None

    def status(self) -> WallStatus:
        """The probe's verdict, waited for once (the zygote sends it after warm-up)."""
        if self._status is None:
            self.control.settimeout(_STARTUP_TIMEOUT_S)
            try:
                found = channel.loads(channel.recv_frame(self.control, 4096))
                self._status = WallStatus(bool(found["locked"]), found["reason"])
            except (OSError, channel.ChannelError, KeyError, TypeError):
                self.stop()
                raise SandboxError("the sandbox could not be started; no program can run") from None
            finally:
                self.control.settimeout(None)
        return self._status

    def connect(self) -> socket.socket:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            socket.send_fds(self.control, [b"r"], [theirs.fileno()])
        finally:
            theirs.close()
        return ours

    def stop(self) -> None:
        """Close the control socket (the zygote then exits) and reap it."""
        self.control.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


_zygote: _Zygote | None = None


class Stop:
    """Lets another thread ask a running `call` to stop early (`request`, sent
    once the call has started). The monitor signals the worker; a job that
    handles it answers early with what it has, one that does not runs on."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connection: socket.socket | None = None
        self.requested = False

    def request(self) -> None:
        with self._lock:
            self.requested = True
            self._send()

    def attach(self, connection: socket.socket | None) -> None:
        """The connection of the call running now (None: it ended)."""
        with self._lock:
            self._connection = connection
            if self.requested:
                self._send()

    def _send(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(OSError):  # the call has just ended: nothing left to stop
                self._connection.send(channel.STOP)


def serve(jobs: str) -> None:
    """Name the module whose functions workers run (the app's `graphs.worker.jobs`).

    The wall is handed what runs inside it and imports nothing of the app:
    the zygote imports this module, and calls its `warm_up()` if it has one,
    before it forks any worker (a locked-in worker cannot import). Until a
    module is named, a call's own function's module is the one."""
    global _jobs
    with _lock:
        _jobs = jobs


def start() -> WallStatus:
    """Start the fork server now (it is started on first use otherwise), so
    the first program need not wait while it imports torch; returns the wall."""
    with _lock:
        return _running(_jobs or probe.__name__).status()


def stop() -> None:
    """Stop the fork server; the next call starts a new one."""
    global _zygote
    with _lock:
        if _zygote is not None:
            _zygote.stop()
            _zygote = None


atexit.register(stop)


def _running(jobs: str) -> _Zygote:
    """The zygote, (re)started if it is not running; call with `_lock` held.
    A zygote serves the jobs module it was started with: asked for another,
    it is replaced."""
    global _zygote
    if _zygote is not None and (_zygote.process.poll() is not None or _zygote.jobs != jobs):
        _zygote.stop()
        _zygote = None
    if _zygote is None:
        _zygote = _Zygote(jobs)
    return _zygote


def trusted() -> bool:
    """True in trusted local mode (AUTOGRAD_EXPLORER_TRUSTED=1): programs may read files.

    A bad value is not trusted; the next run explains it in one line."""
    try:
        return bool(from_environment(os.environ, {"trusted": "bool"}).get("trusted", False))
    except SandboxError:
        return False


def _worker_slots(limit: int) -> threading.BoundedSemaphore:
    """Bound concurrent workers so a full class cannot exhaust the machine."""
    with _lock:
        return _slots.setdefault(limit, threading.BoundedSemaphore(limit))


def call(
    fn: Callable[..., Any],
    *args: Any,
    config: SandboxConfig | None = None,
    vetted: bool = False,
    decode: Callable[[Any], Any] | None = None,
    on_report: Callable[[bytes], None] | None = None,
    stop: Stop | None = None,
    server: Server | None = None,
) -> Any:
    """`fn(*args)` evaluated in a locked worker.

    `fn` is a module-level function of a jobs module (see `start`), which
    the zygote imported before forking the worker; arguments and
    result are JSON.  `vetted` says the program is one of ours (a catalogue
    entry): it may run under rlimits alone where the filter cannot be built,
    which a typed program never does.  `decode` turns the result into the
    caller's type; if it fails, the worker sent something of the wrong shape.
    `on_report` gets each report the job sent while it ran (`channel.report`),
    as the worker's raw bytes, for the caller's own gate; `stop` lets another
    thread end the call early. `server` forks the monitor instead of the
    zygote (`direct.forking`: a command line's own process).
    """
    config = config or SandboxConfig.from_env()
    slots = _worker_slots(config.max_workers)
    if not slots.acquire(timeout=config.queue_timeout_s):
        raise SandboxError("the server is busy; please run the program again in a moment")
    try:
        with _lock:
            zygote = server or _running(_jobs or fn.__module__)
            wall = zygote.status()
            filtered = not config.trusted
            if filtered and not wall.locked:
                if not vetted:
                    raise SandboxError(
                        f"this server cannot lock programs in ({wall.reason}); only catalogue programs run"
                    )
                filtered = False
            connection = _connect(zygote)
        with connection:
            value = exchange(
                connection, make_request(fn, list(args), config, filtered), config, on_report, stop
            )
    finally:
        slots.release()
    if decode is None:
        return value
    try:
        return decode(value)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise SandboxError(
            f"the worker's result could not be read: it has the wrong shape ({type(exc).__name__})"
        ) from None


def _connect(zygote: Server) -> socket.socket:
    """A connection to a new monitor; a zygote that died since it was last
    looked at is stopped, so the next call starts a fresh one."""
    global _zygote
    try:
        return zygote.connect()
    except OSError:
        zygote.stop()
        _zygote = None
        raise SandboxError("the sandbox was restarting; please run the program again") from None


def make_request(fn: Callable[..., Any], args: list, config: SandboxConfig, filtered: bool) -> dict[str, Any]:
    """The JSON a monitor forks a worker for; `fn` travels by name, never pickled."""
    name = f"{fn.__module__}:{fn.__qualname__}"
    if "<" in name:
        raise ValueError(f"{name} is not a module-level function a worker can find")
    return {"fn": name, "args": args, "config": asdict(config), "filtered": filtered}


def exchange(
    connection: socket.socket,
    request: dict[str, Any],
    config: SandboxConfig,
    on_report: Callable[[bytes], None] | None = None,
    stop: Stop | None = None,
) -> Any:
    """Send the request to a monitor and read its one answer, handing the
    reports that come before it to `on_report` (raw, without their mark);
    `stop` may ask the monitor to stop the worker once it has started."""
    try:
        channel.send_frame(connection, channel.dumps(request))
        connection.settimeout(_STARTUP_TIMEOUT_S)
        if channel.recv_frame(connection, len(channel.STARTED)) != channel.STARTED:
            raise channel.ChannelError("the monitor did not start the worker")
        if stop is not None:
            stop.attach(connection)
        connection.settimeout(config.timeout_s + _GRACE_S)
        frame = channel.recv_frame(connection, 4096)
        while frame.startswith(channel.REPORT):
            if on_report is not None:
                on_report(frame[len(channel.REPORT) :])
            frame = channel.recv_frame(connection, 4096)
        header = channel.loads(frame)
        data = channel.recv_frame(connection, config.max_result_mb * 1024 * 1024)
    except (OSError, channel.ChannelError):
        raise SandboxError(
            "the worker could not be started or stopped answering; the program was not run to the end"
        ) from None
    finally:
        if stop is not None:
            stop.attach(None)
    if header["timed_out"]:
        raise SandboxError(
            f"the program ran longer than {config.timeout_s:g} s and was stopped "
            f"{config.limit_hint('timeout_s')}"
        )
    if header["oversized"]:
        raise SandboxError(f"the program's result was larger than {config.max_result_mb} MB and was not read")
    status = header["status"]  # None when the worker answered before it had finished exiting
    if not data or (status is not None and os.WIFSIGNALED(status)):
        raise _stopped(status or 0, config)
    try:
        document = channel.loads(data, max_values=config.max_result_values)
    except channel.ChannelError as exc:
        raise SandboxError(f"the worker's result could not be read: {exc}") from None
    return _unpack(document, config)


def _stopped(status: int, config: SandboxConfig) -> SandboxError:
    """Why the worker ended without a result (`from_status`), with how to
    change the limit when a limit stopped it."""
    error = from_status(status, config.cpu_s, config.memory_mb)
    limit = _LIMIT_SIGNALS.get(os.WTERMSIG(status)) if os.WIFSIGNALED(status) else None
    return error if limit is None else SandboxError(f"{error.message} {config.limit_hint(limit)}")


def _unpack(document: Any, config: SandboxConfig) -> Any:
    """The value, or the error the worker reported, after checking every field's type."""
    if isinstance(document, dict) and document.keys() == {"ok"}:
        return document["ok"]
    error = document.get("error") if isinstance(document, dict) and len(document) == 1 else None
    if not isinstance(error, dict):
        raise SandboxError("the worker's result could not be read: it is not a result or an error")
    kind, message = error.get("kind"), error.get("message", "")
    line, col, prints = error.get("line"), error.get("col"), error.get("prints", [])
    if not (
        isinstance(message, str)
        and _position(line)
        and _position(col)
        and isinstance(prints, list)
        and all(isinstance(text, str) for text in prints)
    ):
        raise SandboxError("the worker's result could not be read: its error has the wrong shape")
    message = " ".join(message.split())[:_MAX_MESSAGE]  # one line, however it was sent
    if kind == "program":
        failure = ProgramError(message, line=line, col=None if line is None else col)
        failure.prints = prints  # what it printed before it failed, shown with the error
        failure.payload = error.get("payload")  # raw and unchecked: the caller's decoder reads it
        raise failure
    if kind == "memory":
        raise SandboxError(
            f"the program used more than {config.memory_mb} MB of memory and was stopped "
            f"{config.limit_hint('memory_mb')}",
            line=line,
            col=None if line is None else col,
        )
    if kind == "wall":
        raise SandboxError(f"the program was not run: the worker could not lock itself in ({message})")
    if kind == "crash":
        raise SandboxError(f"the worker stopped unexpectedly ({message}); the program was not run to the end")
    raise SandboxError("the worker's result could not be read: its error has the wrong shape")


def _position(value: Any) -> bool:
    return value is None or (type(value) is int and 0 < value < 10**9)
