"""How far a long program has got, told while it runs, and the gate its reports pass.

A training loop of 30 s showed a spinner and nothing else. The worker now
reports, at most a few times a second, where the run stands (`Progress`):
the iteration of its outermost counted `for` loop and that loop's length
(graphs.worker.loops knows both), the passes made, the last loss, and the
time so far. A report is written by the worker, so it is hostile data like
the record: `ProgressGate.accept` reads one report's raw bytes (small JSON,
checked field by field, numbers bounded) and lets through at most a few per
second and a bounded number per run, so a worker that floods costs the
server nothing but dropped frames.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

# The largest report a worker may send: five numbers need well under 200 bytes.
MAX_REPORT_BYTES = 512
# Reports let through per run: ten minutes at the worker's five a second is 3,000.
MAX_REPORTS = 5_000
# The least time between two reports let through (the worker sends one per 0.2 s at most).
MIN_INTERVAL_S = 0.1
# Counts above this are no count a program reaches in ten minutes; a forged one is refused.
MAX_COUNT = 10**12
MAX_SECONDS = 10**6
_FIELDS = ("iteration", "total", "passes", "loss", "elapsed_s")


class BadProgress(ValueError):
    """A report broke the format; the text says how (reports are dropped, never shown)."""


@dataclass(frozen=True)
class Progress:
    """Where a running program stands: the iteration (1-based) of its outermost
    counted loop out of `total` (both None outside such a loop), the backward
    passes made so far, the last pass's loss (None before one, or when its
    root was not one number) and the seconds since the program started."""

    iteration: int | None
    total: int | None
    passes: int
    loss: float | None
    elapsed_s: float

    def to_wire(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def fraction(self) -> float | None:
        """How much of the outermost counted loop has run, 0 to 1, when its length is known."""
        if self.iteration is None or not self.total:
            return None
        return min(1.0, self.iteration / self.total)


def _count(raw: Any, what: str, optional: bool) -> int | None:
    if raw is None and optional:
        return None
    if type(raw) is not int or not 0 <= raw <= MAX_COUNT:
        raise BadProgress(f"{what} is not a count")
    return raw


def _number(raw: Any, what: str, optional: bool, bound: float) -> float | None:
    if raw is None and optional:
        return None
    if type(raw) not in (int, float) or not math.isfinite(raw) or abs(raw) > bound:
        raise BadProgress(f"{what} is not a finite number")
    return float(raw)


def parse(data: bytes) -> Progress:
    """One report from its raw bytes; `BadProgress` when it is anything but the five fields, bounded."""
    if not isinstance(data, bytes) or len(data) > MAX_REPORT_BYTES:
        raise BadProgress("the report is too large")
    try:
        raw = json.loads(data.decode())
    except ValueError:  # UnicodeDecodeError is one too
        raise BadProgress("the report is not JSON") from None
    if not isinstance(raw, dict) or set(raw) != set(_FIELDS):
        raise BadProgress("the report does not have the five fields")
    found = Progress(
        iteration=_count(raw["iteration"], "iteration", optional=True),
        total=_count(raw["total"], "total", optional=True),
        passes=_count(raw["passes"], "passes", optional=False) or 0,
        loss=_number(raw["loss"], "loss", optional=True, bound=math.inf),
        elapsed_s=_number(raw["elapsed_s"], "elapsed_s", optional=False, bound=MAX_SECONDS) or 0.0,
    )
    if (found.iteration is None) != (found.total is None):
        raise BadProgress("iteration and total come together")
    if found.elapsed_s < 0:
        raise BadProgress("elapsed_s is negative")
    return found


class ProgressGate:
    """The trusted side's reader of one run's reports: `accept` gives the
    report when it is well formed and due, None when it is dropped (malformed,
    too soon after the last one, or past the run's cap). `clock` is a
    parameter so tests can drive time."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.accepted = 0
        self.dropped = 0
        self._last: float | None = None

    def accept(self, data: bytes) -> Progress | None:
        now = self.clock()
        if self.accepted >= MAX_REPORTS or (self._last is not None and now - self._last < MIN_INTERVAL_S):
            self.dropped += 1
            return None
        try:
            found = parse(data)
        except BadProgress:
            self.dropped += 1
            return None
        self._last = now
        self.accepted += 1
        return found


def summary(report: Progress) -> str:
    """The report as one line, for a terminal or a notebook's output:
    `iteration 120 of 400 · 121 passes · loss 0.5321 · 6.1 s`."""
    parts = [] if report.iteration is None else [f"iteration {report.iteration:,} of {report.total:,}"]
    parts.append(f"{report.passes:,} passes" if report.passes != 1 else "1 pass")
    if report.loss is not None:
        parts.append(f"loss {report.loss:.4g}")
    parts.append(f"{report.elapsed_s:.1f} s")
    return " · ".join(parts)
