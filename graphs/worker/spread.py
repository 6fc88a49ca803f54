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

A big model's pass is large, and the spread multiplies it: 22 passes kept
instead of 6. So the spread is kept only while the kept passes, with room
for the tail, stay within `BUDGET`, a quarter of the gate's limits
(graphs.record.decode.Limits) on nodes and listed entries: past it the
spread stops, and a spread pass that crossed it is dropped when it leaves
the window, like any other. The head and tail are kept as they always were.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import torch

from graphs.record.decode import Limits
from graphs.worker.tensordata import LIST_LIMIT, Kept

SPREAD = 16  # middle passes kept in full at most


@dataclass(frozen=True)
class Cost:
    """What kept passes add to a record, counted as the gate counts it: nodes,
    and entries of the values listed in full (larger ones are a summary)."""

    nodes: int = 0
    entries: int = 0

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.nodes + other.nodes, self.entries + other.entries)

    def __mul__(self, times: int) -> Cost:
        return Cost(self.nodes * times, self.entries * times)

    def within(self, budget: Cost) -> bool:
        return self.nodes <= budget.nodes and self.entries <= budget.entries


# A quarter of the gate's limits: the rest of the record (the nodes no pass
# ran, every loss, the steps) and a tail larger than the head have room left.
BUDGET = Cost(nodes=Limits.max_nodes // 4, entries=Limits.max_total_entries // 4)


class Pass(Protocol):
    """What a pass's cost is read from (graphs.worker.hooks.PassHooks)."""

    index: int
    attrs: Mapping[object, object]  # every node the pass ran
    grads: Mapping[object, torch.Tensor | None]
    grad_inputs: Mapping[object, list[torch.Tensor | None]]
    leaf_grads: Mapping[object, torch.Tensor | None]


def _listed(value: torch.Tensor | None) -> int:
    count = 0 if value is None else value.numel()
    return count if count <= LIST_LIMIT else 0


def pass_cost(hooks: Pass, values: Mapping[object, Kept]) -> Cost:
    """The nodes a pass ran and the entries the record lists for them: each
    node's forward value and gradient, what it sent on, a leaf's `.grad`
    after the pass. Leaves every pass shares are counted in each: an upper bound."""
    entries = sum(_listed(grad) for grad in hooks.leaf_grads.values())
    for fn in hooks.attrs:
        kept = values.get(fn)
        entries += _listed(None if kept is None else kept.tensor) + _listed(hooks.grads.get(fn))
        entries += sum(_listed(sent) for sent in hooks.grad_inputs.get(fn, ()))
    return Cost(len(hooks.attrs), entries)


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

    def __init__(self, keep_first: int, keep_last: int, count: int = SPREAD, budget: Cost = BUDGET):
        self.keep_first, self.keep_last, self.count = keep_first, keep_last, count
        self.budget = budget
        self.total: int | None = None
        self.kept: frozenset[int] = frozenset()
        self.costs: dict[int, Cost] = {}  # index -> cost of each pass kept for good (head, spread)
        self.largest = Cost()  # the largest of them: what each tail pass is expected to cost
        self.closed = False  # the budget is spent: no pass ahead is kept
        self.started = 0  # the first pass of the iteration running now (see due)

    def plan(self, total: int, next_index: int) -> None:
        """The run makes at least `total` passes; the next one is `next_index`."""
        if total == self.total or self.closed:
            return
        self.total = total
        behind = {index for index in self.kept if index < next_index}
        planned = log_spaced(self.keep_first, total - self.keep_last - 1, self.count)
        ahead = [index for index in planned if index >= next_index]
        room = max(self.count - len(behind), 0)
        self.kept = frozenset(behind | set(ahead[max(len(ahead) - room, 0) :] if room else ()))

    def due(self, next_index: int, passes: int, certain: int) -> bool:
        """Whether one of the `passes` passes starting at `next_index` (an
        iteration starts) is to be kept, `certain` more passes being sure to
        follow them. An iteration may make more passes than its loop promised
        (calls the loop pass does not count): as many as the last one made
        are looked at, or a planned pass would run without capture."""
        made, self.started = next_index - self.started, next_index
        if certain:
            self.plan(next_index + passes + certain, next_index)
        ahead = next_index + max(passes, made)
        return any(next_index <= index < ahead for index in self.kept)

    def ran(self, hooks: Pass, values: Mapping[object, Kept]) -> None:
        """A pass ran in full. If it is one kept for good (the head's or the
        spread's), count its cost; a spread pass that leaves no room for the
        tail is given up, and when one more would not fit, the spread closes."""
        index = hooks.index
        if not self.count or not (index < self.keep_first or index in self.kept):
            return
        cost = pass_cost(hooks, values)
        self.costs[index] = cost
        self.largest = Cost(max(self.largest.nodes, cost.nodes), max(self.largest.entries, cost.entries))
        kept = sum(self.costs.values(), Cost())
        if index >= self.keep_first and not (kept + self.largest * self.keep_last).within(self.budget):
            del self.costs[index]
            self._close(index)  # this pass is dropped as it leaves the window
        elif not (kept + self.largest * (self.keep_last + 1)).within(self.budget):
            self._close(index + 1)

    def _close(self, first_gone: int) -> None:
        self.kept = frozenset(index for index in self.kept if index < first_gone)
        self.closed = True
