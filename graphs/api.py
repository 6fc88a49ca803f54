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

from graphs import sandbox
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
    """torchviz's DOT for the program, computed in this process."""
    return classic_dot(source, show_attrs)


def run_source(source: str) -> GraphRecord:
    """Run and capture a program in a sandbox worker.

    Raises `ProgramError` for a failing program, and its subclass
    `SandboxError` when the worker hit a memory or time limit or crashed.
    """
    return sandbox.call(_record_dict, source, vetted=_is_catalogue(source), decode=GraphRecord.from_dict)


def classic_source(source: str, show_attrs: bool = False) -> str:
    """torchviz's DOT for the program, computed in a sandbox worker."""
    return sandbox.call(classic_in_process, source, show_attrs, vetted=_is_catalogue(source), decode=_text)


def check_source(source: str, pass_index: int | None = None) -> dict:
    """The gradient check of `graphs.check` (JSON-able: `CheckResult.to_dict()`), in a sandbox worker."""
    return sandbox.call(
        check_in_process, source, pass_index, vetted=_is_catalogue(source), decode=_check_data
    )


def _check_data(value: object) -> dict:
    """The worker's check, refused unless it has the check's shape."""
    if not isinstance(value, dict) or not isinstance(value.get("leaves"), list):
        raise TypeError("not a gradient check")
    return value


def failed_source(source: str) -> GraphRecord | None:
    """For a program that fails: its graph up to the failing line (`GraphRecord.error`
    says why), or None when it failed before making a tensor that requires grad."""
    return sandbox.call(_failed_dict, source, vetted=_is_catalogue(source), decode=_failed_record)


def _failed_dict(source: str) -> dict | None:
    """Worker-side: the failing program's partial record as JSON-able data."""
    try:
        run_in_process(source)
    except ProgramError as err:
        return None if err.record is None else err.record.to_dict()
    return None


def _failed_record(value: object) -> GraphRecord | None:
    return None if value is None else GraphRecord.from_dict(value)


def _text(value: object) -> str:
    """The worker's DOT, refused if a program made it send anything but text."""
    if not isinstance(value, str):
        raise TypeError("not text")
    return value


def _is_catalogue(source: str) -> bool:
    """One of our own programs, which may run where the sandbox cannot lock typed ones in."""
    from graphs.catalogue import CATALOGUE

    return any(entry.source == source for entry in CATALOGUE)


def _record_dict(source: str) -> dict:
    """Worker-side: the record as plain JSON-able data."""
    return run_in_process(source).to_dict()
