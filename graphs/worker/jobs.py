"""What the server asks a worker to do: each job takes and returns plain data.

The sandbox runs these by name in a locked-in worker (`graphs.sandbox.call`);
`run_in_process` and `classic_in_process` are the same work in the calling
process, for the CLI's and the notebook's local runs and for tests.
`warm_up` readies the fork server before it forks any worker.
"""

from __future__ import annotations

import signal
import warnings
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

import torch

from graphs.errors import ProgramError
from graphs.record.model import GraphRecord
from graphs.sandbox import channel
from graphs.worker import warmup
from graphs.worker.capture import Recorder, capture_program
from graphs.worker.check import check_in_process
from graphs.worker.classic import classic_data, classic_dot
from graphs.worker.files import checkpoints_in_memory
from graphs.worker.program import run_program
from graphs.worker.reporting import Reporter, Stopped
from graphs.worker.spread import SPREAD


def run_in_process(source: str, reporter: Reporter | None = None) -> GraphRecord:
    """Run and capture a program in this process; raises `ProgramError`, whose
    `record` (when the program got as far as making tensors) is the graph up
    to the failing line, with the error. A `reporter` hears how far the run
    got, and may stop it: the error then says so, and its record is what ran.
    A counted training loop keeps a spread of middle passes besides its head
    and tail (graphs.worker.spread), for the loss curve's pass slider: every
    front end's run comes here."""
    warned: list[str] = []
    try:
        recorder, outcome = capture_program(
            source,
            lambda recorder: _warnings_by_line(recorder, warned),
            checkpoints_in_memory,
            lambda recorder: _reporting(recorder, reporter),
            spread=SPREAD,
        )
    except ProgramError as err:
        failure = _stopped(err) if isinstance(err.__cause__, Stopped) else err
        recorder = getattr(failure, "recorder", None)
        failure.record = None
        if recorder is not None and recorder.roots():
            failure.record = recorder.record(prints=getattr(failure, "prints", []), source=source)
            failure.record.error, failure.record.warnings = str(failure), warned
        if failure is err:
            raise
        raise failure from None
    record = recorder.record(prints=outcome.prints, source=source)
    record.warnings = warned
    return record


@contextmanager
def _reporting(recorder: Recorder, reporter: Reporter | None) -> Iterator[None]:
    recorder.reporter = reporter
    try:
        yield
    finally:
        recorder.reporter = None


def _stopped(err: ProgramError) -> ProgramError:
    """The error of a run its caller stopped: where, and after how many passes."""
    recorder = err.recorder
    passes = recorder.pass_count if recorder is not None else 0
    stopped = ProgramError(f"stopped by the user after {passes} passes", line=err.line)
    stopped.prints, stopped.recorder = err.prints, recorder
    if recorder is not None:
        recorder.failure = weakref.ref(stopped)
    return stopped


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


def record(source: str) -> dict:
    """The record as JSON-able data in its wire form (tensor values packed,
    `GraphRecord.to_wire`); a failing program's error carries its partial
    record as its `payload`, so the server need not run it again to draw the
    graph up to the failing line. While it runs it reports its progress to the
    caller (`channel.report`), and the caller's stop request (`channel.STOP_SIGNAL`)
    ends it with the record of what ran."""
    reporter = Reporter(lambda found: channel.report(found.to_wire()))
    previous = signal.signal(channel.STOP_SIGNAL, lambda *_: reporter.request_stop())
    try:
        return run_in_process(source, reporter).to_wire()
    except ProgramError as err:
        if err.record is not None:
            err.payload = err.record.to_wire()
        raise
    finally:
        signal.signal(channel.STOP_SIGNAL, previous)


def classic(source: str, show_attrs: bool = False) -> dict:
    """torchviz's graph of the program as data (`graphs.worker.classic`), never DOT text."""
    return classic_data(source, show_attrs)


def check(source: str, pass_index: int | None = None) -> dict:
    """The gradient check against finite differences (`graphs.worker.check`)."""
    return check_in_process(source, pass_index)


def run_python(source: str) -> list[str]:
    """Bare Python, no capture around it: what `source` printed, one entry
    per print call; a failure is a `ProgramError`. The sandbox's own tests
    and benchmarks run programs through the wall with it."""
    return run_program(source).prints


def warm_up() -> None:
    """Ready the fork server: torch single-threaded (no worker starts a thread
    pool, and the zygote forks with one thread), then everything a program
    may need imported and exercised (`graphs.worker.warmup`)."""
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    warmup.warm_up(run_in_process, classic_in_process)


# A process that serves its own calls (the command line, `graphs.sandbox.direct`)
# warms up only when a call failed for want of a module, in these steps, cheapest
# first: an optimizer's first step needs `torch._dynamo`, which importing
# `MODULES` gives at a third of `warm_up`'s cost.
WARM_UPS = (warmup.import_modules, warm_up)
