"""One path from program text to graph record, shared by the app, the CLI and the notebook.

`run_source`, `classic_source` and `check_source` never run a program in the
calling process: they hand it to a sandbox worker (`graphs.sandbox`), which
runs a job of `graphs.worker.jobs` under OS limits, and what comes back
passes the server's gate (`graphs.record.decode`) before anything reads it.
`run_in_process` and `classic_in_process` run a program here, for local
runs the user chose and for tests of the core's internals.
"""

from __future__ import annotations

from collections.abc import Callable

from graphs import sandbox
from graphs.errors import ProgramError
from graphs.record import decode
from graphs.record.model import GraphRecord
from graphs.record.progress import Progress, ProgressGate
from graphs.render.classic import classic_dot_from
from graphs.sandbox.client import Stop
from graphs.worker import jobs
from graphs.worker.jobs import classic_in_process, run_in_process

__all__ = [
    "Progress",
    "Stop",
    "check_source",
    "classic_in_process",
    "classic_source",
    "run_in_process",
    "run_source",
]

sandbox.serve(jobs.__name__)


def run_source(
    source: str, on_progress: Callable[[Progress], None] | None = None, stop: Stop | None = None
) -> GraphRecord:
    """Run and capture a program in a sandbox worker.

    Raises `ProgramError` for a failing program, and its subclass
    `SandboxError` when the worker hit a memory or time limit or crashed, or
    sent a result the gate refuses. A failing program's error carries, as
    `record`, its graph up to the failing line (from the same worker call),
    or None. `on_progress` is called, in this thread, with each report of how
    far the program got that passes the gate (`ProgressGate`); `stop.request()`
    from another thread ends the program early: the error then says it was
    stopped, and its record is the graph of what ran.
    """
    try:
        found = sandbox.call(
            jobs.record,
            source,
            vetted=_is_catalogue(source),
            decode=decode.record,
            on_report=None if on_progress is None else gated(on_progress),
            stop=stop,
        )
    except ProgramError as err:
        err.record = _partial(getattr(err, "payload", None), source)
        raise
    found.source = source  # the text the server sent, not what came back
    return found


def gated(on_progress: Callable[[Progress], None]) -> Callable[[bytes], None]:
    """A worker's raw reports through a fresh gate to `on_progress` (dropped ones never reach it)."""
    gate = ProgressGate()

    def relay(data: bytes) -> None:
        found = gate.accept(data)
        if found is not None:
            on_progress(found)

    return relay


def _partial(raw: object, source: str) -> GraphRecord | None:
    """A failing program's graph so far, through the same gate; None when there
    is none or the gate refuses it (the program's own error is still shown)."""
    if raw is None:
        return None
    try:
        found = decode.record(raw)
    except ProgramError:
        return None
    found.source = source
    return found


def classic_source(source: str, show_attrs: bool = False) -> str:
    """The classic view's DOT for the program: the worker captures torchviz's
    graph as data, the server checks it and writes the DOT itself."""
    return sandbox.call(
        jobs.classic, source, show_attrs, vetted=_is_catalogue(source), decode=classic_dot_from
    )


def check_source(source: str, pass_index: int | None = None) -> dict:
    """The gradient check of `graphs.worker.check` (JSON-able: `CheckResult.to_dict()`),
    in a sandbox worker, checked by the server's gate."""
    return sandbox.call(
        jobs.check, source, pass_index, vetted=_is_catalogue(source), decode=decode.check_result
    )


def _is_catalogue(source: str) -> bool:
    """One of our own programs, which may run where the sandbox cannot lock typed ones in."""
    from graphs.catalogue import CATALOGUE

    return any(entry.source == source for entry in CATALOGUE)
