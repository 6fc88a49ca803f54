"""Numbers and tensors as text, the way `print(tensor)` shows them.

Students compare the figure with what their notebook printed, so by default
a tensor's numbers follow torch's own print rule: one format for the whole
tensor, 4 decimals, scientific notation when the magnitudes span more than
1000x or leave [1e-4, 1e8], and "2." for whole numbers. `digits` overrides
the number of decimals.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from graphs.record.numbers import Listed, Nested, Numbers, Summary, summary_of

TORCH_DIGITS = 4  # torch's default print precision
MATRIX_LIMIT = 4  # tensors up to 4x4 are drawn entry by entry
NO_VALUE = "—"


def flatten(nested: Nested) -> list:
    """The entries of a nested list (or a lone number) in row-major order."""
    if isinstance(nested, list):
        return [item for sub in nested for item in flatten(sub)]
    return [nested]


def number_format(values: list, digits: int | None = None) -> Callable[[object], str]:
    """One formatter for every entry of a tensor, chosen from all its entries (one pass)."""
    precision = TORCH_DIGITS if digits is None else digits
    low, high, whole = math.inf, 0.0, True
    for value in values:
        if type(value) is not float:  # integer or bool tensor: torch prints them plainly
            return _integer
        size = abs(value)
        if 0.0 < size < math.inf:  # nonzero and finite (nan fails both tests)
            low = min(low, size)
            high = max(high, size)
            whole = whole and value.is_integer()
    if high and (high / low > 1000.0 or high > 1.0e8 or low < 1.0e-4):
        return f"{{:.{precision}e}}".format
    if whole:
        return _whole
    return f"{{:.{precision}f}}".format


def _integer(value: object) -> str:
    """An int or bool entry; anything else is refused, so label text is only ever numbers."""
    if not isinstance(value, (int, float)):
        raise TypeError(f"tensor entries must be numbers, not {type(value).__name__}")
    return str(value)


def _whole(value: float) -> str:
    text = f"{value:.0f}"
    return text if not math.isfinite(value) else text + "."


def format_number(value: object, digits: int | None = None) -> str:
    return number_format([value], digits)(value)


def is_matrix(shape: list[int]) -> bool:
    """Small enough to draw every entry: at most 2-D and at most 4 per side."""
    return len(shape) <= 2 and all(size <= MATRIX_LIMIT for size in shape)


def rows(nested: Nested, digits: int | None = None) -> list[list[str]]:
    """A small tensor's entries as text rows (a vector is one row)."""
    fmt = number_format(flatten(nested), digits)
    if not isinstance(nested, list):
        return [[fmt(nested)]]
    if nested and isinstance(nested[0], list):
        return [[fmt(v) for v in row] for row in nested]
    return [[fmt(v) for v in nested]]


def summarize(nested: Nested) -> Summary | None:
    """min / mean / max of listed entries (None when there are none): the
    summary they carry (`Listed`), else computed."""
    if isinstance(nested, Listed):
        return nested.summary
    values = _array(nested)
    return None if values.size == 0 else summary_of(values)


def norm(nested: Nested) -> float:
    """The 2-norm of listed entries (a tensor's `.norm()`)."""
    return float(np.linalg.norm(_array(nested)))


def _array(nested: Nested) -> np.ndarray:
    """Listed entries as a flat float array: numpy reads a rectangular nest at
    C speed; a ragged one (never from torch) is flattened here."""
    try:
        return np.asarray(nested, dtype=float).ravel()
    except ValueError:
        return np.asarray(flatten(nested), dtype=float)


@dataclass(frozen=True)
class Shown:
    """What a node shows for one tensor: entry rows, or a summary, or nothing."""

    rows: list[list[str]] | None
    summary: str | None

    @property
    def empty(self) -> bool:
        return self.rows is None and self.summary is None


def shown(numbers: Numbers, shape: list[int], digits: int | None = None) -> Shown:
    """Decide how to show a tensor: its entries when small and known, else its statistics."""
    if numbers is None:
        return Shown(None, None)
    summary = numbers if isinstance(numbers, Summary) else None
    if summary is None and is_matrix(shape):
        if 0 in shape:
            return Shown(None, "empty")
        return Shown(rows(numbers, digits), None)
    summary = summary or summarize(numbers)
    if summary is None:
        return Shown(None, None)
    fmt = number_format([summary.min, summary.mean, summary.max], digits)
    return Shown(None, f"min {fmt(summary.min)}  mean {fmt(summary.mean)}  max {fmt(summary.max)}")


def shape_text(shape: list[int]) -> str:
    return "×".join(str(int(size)) for size in shape) if shape else "scalar"


def inline(numbers: Numbers, shape: list[int], digits: int | None = None) -> str:
    """One line of text for a tensor: for tables, tooltips and the command line."""
    return one_line(shown(numbers, shape, digits), shape)


def one_line(view: Shown, shape: list[int]) -> str:
    if view.rows is not None:
        if not shape:
            return view.rows[0][0]
        return "[" + "; ".join(", ".join(row) for row in view.rows) + "]"
    if view.summary is not None:
        return f"{shape_text(shape)}: {view.summary}"
    return NO_VALUE
