"""Which middle passes of a long training loop are kept in full besides its head and tail.

A scrubber over a run wants to see the gradients evolve, not only the first
and last few passes. Keeping every pass costs what quiet iterations save
(graphs.worker.loops), so a bounded spread is kept: `SPREAD` pass indices,
log-spaced between the head and the tail (dense early, where a loss moves
fastest). They are computed from the run's known total, so the same program
always keeps the same passes:

    a = keep_first, b = total - keep_last - 1     (the passes between head and tail)
    index_i = floor(a * (b / a) ** (i / (SPREAD - 1)) + 0.5),  i = 0 .. SPREAD-1

without repeats (a short run keeps fewer). A 2,000-pass loop keeping 3 + 3
keeps 3, 5, 7, 11, 17, 26, 40, 62, 96, 148, 229, 353, 544, 839, 1294, 1996.
"""

from __future__ import annotations

import math

SPREAD = 16  # middle passes kept in full at most


def log_spaced(first: int, last: int, count: int) -> list[int]:
    """`count` indices from `first` to `last` (both included), log-spaced, without repeats."""
    low = max(first, 1)
    if count <= 0 or last < low:
        return []
    if count == 1 or last == low:
        return [low]
    ratio = last / low
    points = (math.floor(low * ratio ** (i / (count - 1)) + 0.5) for i in range(count))
    return sorted({point for point in points if low <= point <= last})


class Spread:
    """The spread of one run, planned from its known total and re-planned
    when the total known grows (an outer loop's count is certain only once
    its first iteration kept its promise): passes already behind keep their
    place, and the plan ahead fills what is left of `count`."""

    def __init__(self, keep_first: int, keep_last: int, count: int = SPREAD):
        self.keep_first, self.keep_last, self.count = keep_first, keep_last, count
        self.total: int | None = None
        self.kept: frozenset[int] = frozenset()

    def plan(self, total: int, next_index: int) -> None:
        """The run makes at least `total` passes; the next one is `next_index`."""
        if total == self.total:
            return
        self.total = total
        behind = {index for index in self.kept if index < next_index}
        planned = log_spaced(self.keep_first, total - self.keep_last - 1, self.count)
        ahead = [index for index in planned if index >= next_index]
        room = max(self.count - len(behind), 0)
        self.kept = frozenset(behind | set(ahead[max(len(ahead) - room, 0) :] if room else ()))

    def due(self, next_index: int, passes: int, certain: int) -> bool:
        """Whether one of the `passes` passes starting at `next_index` is to be
        kept, `certain` more passes being sure to follow them."""
        if certain:
            self.plan(next_index + passes + certain, next_index)
        return any(next_index <= index < next_index + passes for index in self.kept)
