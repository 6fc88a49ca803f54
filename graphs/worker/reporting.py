"""What a run tells its caller while it runs, and how the caller asks it to stop.

The Recorder calls `Reporter.at_boundary` where a run has a natural step: a
counted loop's iteration starting, a backward pass ending. Never per op: a
report costs a clock read when it is not due, and one small JSON write every
`INTERVAL_S` when it is.

A stop request (a signal in a sandbox worker, see graphs.worker.jobs) only
sets a flag; the Recorder acts on it at its next safe point (`Recorder.stop_point`)
by raising `Stopped` into the program, which ends like a program interrupted
there, and its graph so far is the record of what ran. A stop that arrives
while a counted loop runs without capture lets that one iteration run with
capture first, so the graph shows the last pass, not only the first ones.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any, Protocol

from graphs.record.model import Loss
from graphs.record.progress import Progress

# The least time between two reports: five a second keeps a bar and a curve moving.
INTERVAL_S = 0.2


class Stopped(KeyboardInterrupt):
    """Raised into the program at a safe point after its caller asked it to stop.

    A KeyboardInterrupt, so the program's own `except Exception` does not swallow
    it and graphs.worker.program ends the run as an interrupted one."""


class Running(Protocol):
    """What a report is read from: the Recorder."""

    losses: list[Loss]
    quiet: bool

    @property
    def pass_count(self) -> int: ...

    @property
    def loops(self) -> Any: ...  # graphs.worker.loops.Loops


class Reporter:
    """Sends `Progress` to `send` at most every `interval_s`, and holds a stop request."""

    def __init__(
        self,
        send: Callable[[Progress], None],
        clock: Callable[[], float] = time.monotonic,
        interval_s: float = INTERVAL_S,
    ) -> None:
        self.send, self.clock, self.interval_s = send, clock, interval_s
        self.started = clock()
        self._due = self.started + interval_s
        self.stop_requested = False
        # The stop waits for the end of one captured iteration (see the module's docstring).
        self.finishing = False

    def request_stop(self) -> None:
        """Ask the run to stop at its next safe point; safe to call from a signal handler."""
        self.stop_requested = True

    def at_boundary(self, run: Running, iteration: bool) -> None:
        """A pass or (`iteration`) a counted loop's iteration starts: stop here if
        asked, else report when a report is due."""
        if self.stop_requested:
            self.stop_here(run, iteration)
        now = self.clock()
        if now < self._due:
            return
        self._due = now + self.interval_s
        self.send(self.progress(run, now))

    def stop_here(self, run: Running, iteration: bool) -> None:
        """Raise `Stopped` into the program now, or (in a counted loop running
        without capture) let the iteration starting now run with capture first,
        and stop when the next one starts."""
        in_loop = run.loops.outermost() is not None
        if in_loop and not iteration and (run.quiet or self.finishing):
            return  # inside an iteration run quietly, or the one being captured: wait for its end
        if iteration and in_loop and run.quiet and not self.finishing:
            self.finishing = True  # the Recorder turns capture on for this iteration
            return
        if iteration and not in_loop:
            return  # a loop ended (its generator's cleanup): the next pass or op stops
        self.stop_requested = self.finishing = False
        raise Stopped

    def progress(self, run: Running, now: float) -> Progress:
        loop = run.loops.outermost()
        iteration, total = loop if loop is not None else (None, None)
        loss = run.losses[-1].value if run.losses else None
        if loss is not None and not math.isfinite(loss):
            loss = None  # JSON has no NaN; a diverged loss shows as no loss
        return Progress(iteration, total, run.pass_count, loss, max(0.0, now - self.started))
