"""What a collapsed module box says of the tensors flowing in and out of it:
shape, min/mean/max and norm, from the record's numbers."""

from __future__ import annotations

from dataclasses import dataclass

from graphs.record.model import Numbers, Summary
from graphs.views import format as fmt


@dataclass(frozen=True)
class Stats:
    """A tensor in summary, for a collapsed box: what the record has of it."""

    shape: list[int]
    low: float | None = None
    mean: float | None = None
    high: float | None = None
    norm: float | None = None  # only when the record holds the contents (small tensors)

    def text(self, digits: int | None = None, with_shape: bool = True) -> str:
        parts = [fmt.shape_text(self.shape)] if with_shape else []
        if self.low is not None:
            number = fmt.number_format([self.low, self.mean, self.high], digits)
            parts.append(f"min {number(self.low)} mean {number(self.mean)} max {number(self.high)}")
        if self.norm is not None:
            parts.append(f"norm {fmt.number_format([self.norm], digits)(self.norm)}")
        return "  ".join(parts)


def stats(numbers: Numbers, shape: list[int]) -> Stats | None:
    """Shape, min/mean/max (and the norm, when listed) of a tensor's numbers; None when unknown."""
    if numbers is None:
        return None
    if isinstance(numbers, Summary):
        return Stats(shape, numbers.min, numbers.mean, numbers.max)
    summary = fmt.summarize(numbers)
    if summary is None:
        return Stats(shape)
    return Stats(shape, summary.min, summary.mean, summary.max, fmt.norm(numbers))
