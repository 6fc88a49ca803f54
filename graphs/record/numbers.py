"""A tensor's numbers in a record: listed when small, their statistics when not.

`Numbers` is the one type of a node's value, a gradient and a `.grad`. A
listed value of more than `SUMMARY_FROM` entries is a `Listed`: a list that
also carries its `Summary`, computed once, the first time a reader asks,
because the figure shows such a tensor as min/mean/max and walking its
entries in Python at every redraw cost the renderer 3-4x its time. On the
wire it is a plain list; neither the worker, which never reads it, nor the
gate computes one for a value no one draws.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np

from graphs.record.codec import Values

# A listed value of more entries than this carries its summary (a figure draws
# up to 4x4 entry by entry, and a row of up to 16 is cheap to summarise).
SUMMARY_FROM = 16

# A tensor's contents listed: a number, a nested list of numbers, or None when unknown.
# Marked for the codec, which packs them on the worker's wire (`GraphRecord.to_wire`).
Nested = Annotated[Any, Values]


@dataclass
class Summary:
    """A tensor's statistics: all a record keeps of one too large to list
    (`LIST_LIMIT` in `graphs.worker.tensordata`)."""

    min: float
    mean: float
    max: float


# A tensor's numbers: listed (`Nested`) when small, their `Summary` when too
# large to list, None when unknown. In JSON a list (or number) or an object.
Numbers = Summary | Nested


class Listed(list):
    """Listed entries that know their `Summary` (see the module's docstring),
    worked out the first time a reader asks (a figure draws a few of a large
    record's values) unless it was handed one."""

    __slots__ = ("_summary",)

    def __init__(self, entries: Iterable = (), summary: Summary | None = None) -> None:
        super().__init__(entries)
        self._summary = summary

    @property
    def summary(self) -> Summary:
        if self._summary is None:
            self._summary = summary_of(np.asarray(self, dtype=float))
        return self._summary


def listed(numbers: Numbers) -> Nested:
    """The entries when the record lists them, else None (a summary, or unknown)."""
    return None if isinstance(numbers, Summary) else numbers


def summary_of(array: np.ndarray) -> Summary:
    """min / mean / max of a non-empty array of numbers, as floats."""
    with np.errstate(all="ignore"):  # the mean of Inf and -Inf is NaN, as it should be: no warning
        return Summary(min=float(array.min()), mean=float(array.mean(dtype=float)), max=float(array.max()))


def entries_of(array: np.ndarray) -> list:
    """`array` as nested lists: a `Listed` when it has more than SUMMARY_FROM entries."""
    entries = array.tolist()
    return Listed(entries) if array.size > SUMMARY_FROM else entries
