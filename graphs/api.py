"""One path from program text to graph record, shared by the app and the CLI.

`run_source` and `classic_source` never run a program in the calling process:
they hand it to a sandbox worker (`graphs.sandbox`), which calls the
`*_in_process` functions below under OS limits.  Those are public only so the
worker, and tests of the core's internals, can run a program directly.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from graphs import decode, sandbox
from graphs.capture import Recorder, capture_program
from graphs.check import check_in_process
from graphs.classic import classic_dot
from graphs.errors import ProgramError
from graphs.record import GraphRecord


def run_in_process(source: str) -> GraphRecord:
    """Run and capture a program in this process; raises `ProgramError`, whose
    `record` (when the program got as far as making tensors) is the graph up
    to the failing line, with the error."""
    warned: list[str] = []
    try:
        recorder, outcome = capture_program(source, lambda recorder: _warnings_by_line(recorder, warned))
    except ProgramError as err:
        recorder = getattr(err, "recorder", None)
        err.record = None
        if recorder is not None and recorder.roots():
            err.record = recorder.record(prints=getattr(err, "prints", []), source=source)
            err.record.error, err.record.warnings = str(err), warned
        raise
    record = recorder.record(prints=outcome.prints, source=source)
    record.warnings = warned
    return record


@contextmanager
def _warnings_by_line(recorder: Recorder, found: list[str]) -> Iterator[None]:
    """Collect the warnings torch raises into `found`, each once, with the
    program line that was running: a worker's stderr is seen by nobody."""

    def keep(message, category, filename, lineno, file=None, line=None) -> None:
        message = str(message).split(" (Triggered internally at")[0]  # torch's C++ file, no help
        text = f"line {recorder.line}: {message}" if recorder.line else message
        if text not in found:
            found.append(text)

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = keep
        yield


def classic_in_process(source: str, show_attrs: bool = False) -> str:
    """The classic view's DOT for the program, computed in this process by the
    sandboxed path's steps (torchviz's graph as data, checked, DOT written by us)."""
    return classic_dot(source, show_attrs)


def run_source(source: str) -> GraphRecord:
    """Run and capture a program in a sandbox worker; the record passes the
    server's gate (`graphs.decode`) before anything reads it.

    Raises `ProgramError` for a failing program, and its subclass
    `SandboxError` when the worker hit a memory or time limit or crashed, or
    sent a result the gate refuses. A failing program's error carries, as
    `record`, its graph up to the failing line (from the same worker call),
    or None.
    """
    try:
        found = sandbox.call(_record_dict, source, vetted=_is_catalogue(source), decode=decode.record)
    except ProgramError as err:
        err.record = _partial(getattr(err, "payload", None), source)
        raise
    found.source = source  # the text the server sent, not what came back
    return found


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
    graph as data (`graphs.classic`), never DOT text; `_text` writes the DOT."""
    from graphs.classic import classic_data

    return sandbox.call(classic_data, source, show_attrs, vetted=_is_catalogue(source), decode=_text)


def check_source(source: str, pass_index: int | None = None) -> dict:
    """The gradient check of `graphs.check` (JSON-able: `CheckResult.to_dict()`),
    in a sandbox worker, checked by the server's gate."""
    return sandbox.call(
        check_in_process, source, pass_index, vetted=_is_catalogue(source), decode=decode.check_result
    )


def _text(value: object) -> str:
    """The DOT we write for the worker's classic graph, once its data passes
    `ClassicGraph.from_dict` (a forged graph is refused or drawn as plain text)."""
    from graphs.classic import classic_dot_from

    return classic_dot_from(value)


def _is_catalogue(source: str) -> bool:
    """One of our own programs, which may run where the sandbox cannot lock typed ones in."""
    from graphs.catalogue import CATALOGUE

    return any(entry.source == source for entry in CATALOGUE)


def _record_dict(source: str) -> dict:
    """Worker-side: the record as JSON-able data in its wire form (tensor
    values packed, `GraphRecord.to_wire`); a failing program's error carries
    its partial record as its `payload`, so the server need not run it again
    to draw the graph up to the failing line."""
    try:
        return run_in_process(source).to_wire()
    except ProgramError as err:
        if err.record is not None:
            err.payload = err.record.to_wire()
        raise
