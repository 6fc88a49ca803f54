"""A gradient check's result: autograd against finite differences, leaf by leaf.

The worker computes it (graphs.worker.check); the server reads it through
the gate (graphs.record.decode.check_result), which recomputes `agrees`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

EPS = 1e-6
RTOL = 1e-4  # an entry agrees when its relative error is at most this ...
ATOL = 1e-6  # ... or its absolute error is (gradients near zero)


@dataclass
class LeafCheck:
    """One leaf: autograd's gradient and the finite difference at the flat
    `entries` checked (all of a small leaf), and the worst entry's errors."""

    name: str
    shape: list[int]
    entries: list[int]
    autograd: list[float]
    numeric: list[float]
    abs_error: float
    rel_error: float
    agrees: bool


@dataclass
class CheckResult:
    pass_index: int  # 0-based among every pass the program made
    pass_count: int
    leaves: list[LeafCheck] = field(default_factory=list)
    # Leaves left out because one run of the program takes too long to nudge them all.
    leaves_unchecked: int = 0
    # The program used an op with kinks (relu, max pooling, abs, clamp, ...): a nudge
    # that crosses one makes the finite difference inexact. A disagreeing entry is
    # measured again with a 100x smaller step; a large ReLU network can still differ.
    kinked: bool = False

    @property
    def agrees(self) -> bool:
        return all(leaf.agrees for leaf in self.leaves)

    def to_dict(self) -> dict:
        return {**asdict(self), "agrees": self.agrees}
