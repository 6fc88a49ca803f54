"""What the diagnosis needs from a run, seen while it runs: where a value or
a gradient first became NaN or Inf, and how many units of each ReLU got no
gradient at all.

Why in the worker, while the program runs: a record lists only small
tensors, so an Inf inside a large activation, or a gradient the engine frees
once the pass moves on, is seen here or never. And a program that stops on
its NaN (an `assert`, anomaly mode raising inside `backward()`) leaves only
what was noted before it stopped: the origin is kept the moment it is seen.

Only the first non-finite tensor of the run is wanted (the origin: what
follows from it is non-finite too), so after it nothing more is checked.
Before it, each floating output costs one `sum()` (NaN and Inf both survive
a sum), and only a non-finite sum is looked at entry by entry, since a sum
of large finite numbers can overflow on its own.
The record's `Finding` is made from `Origin`, and each pass's numbers
(`pass_health`), when the record is built (graphs.worker.build); the
thresholds that make findings of those numbers live in graphs.views.diagnosis.
"""

from __future__ import annotations

import cmath
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol

import torch

from graphs.record.model import Finding, Numbers, Operand, ReluUnits
from graphs.worker.tensordata import numbers

# The ops whose units can die: a ReLU sends no gradient where its input was <= 0.
RELU_OPS = frozenset({"ReluBackward0", "ReluBackward1", "ThresholdBackward0"})
# Factories whose output is whatever the memory held (a module's constructor
# fills it in place next): NaN there is no NaN of the program's.
UNINITIALISED = frozenset({"empty", "empty_like", "empty_strided", "new_empty", "new_empty_strided"})
# At most this many operands of one op are kept (torch.cat may take hundreds).
MAX_OPERANDS = 4


class Watched(Protocol):
    """What an origin is read from: the Recorder."""

    values: dict[object, object]

    @property
    def line(self) -> int | None: ...

    @property
    def pass_count(self) -> int: ...


@dataclass
class Origin:
    """The first non-finite tensor of a run: a forward op's output, or a
    gradient a backward node sent while what it received was finite.
    `fn` is the op's grad_fn (None for an op on tensors needing no
    gradient); `line` the program's line running when it was seen."""

    kind: Literal["nan", "inf"]
    stage: Literal["forward", "backward"]
    op: str
    fn: object | None
    line: int | None
    pass_index: int
    operands: list[tuple[str, list[int], Numbers]] = field(default_factory=list)


def _floating(tensor: object) -> bool:
    return isinstance(tensor, torch.Tensor) and (tensor.is_floating_point() or tensor.is_complex())


def finite(tensor: torch.Tensor) -> bool:
    """Whether every entry is finite: one sum read as a Python number (a
    third of the cost of asking torch whether the sum is finite), and a full
    look only when it is not.
    A tensor with no numbers to read counts as finite: sparse gradients,
    forward-mode zeros, and any tensor while a dispatch mode runs (make_fx
    tracing inside `torch.func.linearize`, a fake-tensor mode), where asking
    for a value is an error, or an op added to what the mode records."""
    if tensor.layout is not torch.strided or tensor.is_meta or _dispatch_modes() or tensor._is_zerotensor():
        return True
    if type(tensor) is not torch.Tensor and not isinstance(tensor, torch.nn.Parameter):
        return True  # a tensor subclass (a fake tensor, a wrapper) may hold no numbers
    data = tensor.detach()
    if cmath.isfinite(data.sum().item()):
        return True
    return bool(torch.isfinite(data).all())


_dispatch_modes = torch._C._len_torch_dispatch_stack


def _kind(tensor: torch.Tensor) -> Literal["nan", "inf"]:
    return "nan" if bool(torch.isnan(tensor.detach()).any()) else "inf"


def _operand(role: str, tensor: torch.Tensor) -> tuple[str, list[int], Numbers]:
    """A value that went in, as the record keeps numbers (listed when small)."""
    return role, list(tensor.shape), numbers(tensor.detach())


def _tensors(values: Iterable[object]) -> list[torch.Tensor]:
    found: list[torch.Tensor] = []
    for value in values:
        items = value if isinstance(value, (list, tuple)) else (value,)
        found.extend(item for item in items if isinstance(item, torch.Tensor))
    return found


def _came_in(kind: str, inputs: list[torch.Tensor], args: tuple) -> bool:
    """Whether what made an op's output `kind` (NaN; Inf: any non-finite) was
    among its inputs already: in a tensor, or in numbers the program wrote
    (`masked_fill(mask, float("-inf"))`, `torch.tensor([1.0, math.inf])`).
    An Inf that came in may still make a new NaN (`0 * inf`, `inf - inf`):
    that op is where the NaN first appears."""
    bad = cmath.isnan if kind == "nan" else _not_finite
    if any(bad(number) for number in _numbers(args)):
        return True
    if kind == "nan":
        return any(_floating(t) and bool(torch.isnan(t.detach()).any()) for t in inputs)
    return any(_floating(t) and not finite(t) for t in inputs)


def _not_finite(number: complex) -> bool:
    return not cmath.isfinite(number)


def _numbers(values, most: int = 100_000) -> Iterator[complex]:
    """The floats (and complex numbers) among `values`, in nested lists and
    tuples too, the first `most` of them (looked at only once a NaN or Inf
    was made, so the walk costs nothing on the usual path)."""
    stack = list(values)
    while stack and most > 0:
        value = stack.pop()
        if isinstance(value, (list, tuple)):
            stack.extend(value)
        elif isinstance(value, (float, complex)):
            most -= 1
            yield value


class NonFinite:
    """Watches a run for its first non-finite tensor (`origin`). Holds its
    Recorder weakly, as everything the Recorder owns does."""

    def __init__(self, recorder: Watched) -> None:
        self.recorder = weakref.proxy(recorder)
        self.origin: Origin | None = None

    def forward(self, func, out, args, kwargs) -> None:
        """An op ran (graphs.worker.observer): did it make a NaN or Inf?
        Not when it came in (`_came_in`: a tensor holding it, or a number the
        program wrote, as `masked_fill(mask, float("-inf"))` makes attention
        masks on purpose), nor from a factory of uninitialised memory."""
        if self.origin is not None or getattr(func, "__name__", "") in UNINITIALISED:
            return
        for tensor in (out,) if isinstance(out, torch.Tensor) else _tensors((out,)):
            if _floating(tensor) and not finite(tensor):
                inputs = [t for t in _tensors((*args, *kwargs.values())) if t is not tensor]
                if _came_in(_kind(tensor), inputs, (*args, *kwargs.values())):
                    return
                self._found(
                    tensor,
                    "forward",
                    getattr(func, "__name__", type(func).__name__),
                    tensor.grad_fn,
                    [(f"input {i + 1}", t) for i, t in enumerate(inputs[:MAX_OPERANDS])]
                    + [("output", tensor)],
                    self.recorder.pass_count,
                )
                return

    def backward(self, fn, sent, arrived, pass_index: int) -> None:
        """A node of a pass ran (graphs.worker.hooks): did it send a NaN or
        Inf that it did not receive (`_came_in`)? (One it received came from
        a node that ran before it, or from the pass's seed.)"""
        if self.origin is not None:
            return
        bad = next((g for g in sent if g is not None and _floating(g) and not finite(g)), None)
        if bad is None or _came_in(_kind(bad), [g for g in arrived if g is not None], ()):
            return
        operands = [("gradient in", g) for g in arrived if g is not None][:1]
        kept = self.recorder.values.get(fn)
        value = None if kept is None else kept.get()
        if value is not None:
            operands.append(("value", value))
        operands.append(("gradient sent", bad))
        self._found(bad, "backward", type(fn).__name__, fn, operands, pass_index)

    def _found(self, tensor, stage, op: str, fn, operands, pass_index: int) -> None:
        self.origin = Origin(
            kind=_kind(tensor),
            stage=stage,
            op=op,
            fn=fn,
            line=self.recorder.line,
            pass_index=pass_index,
            operands=[_operand(role, t) for role, t in operands],
        )


def dead_units(sent: torch.Tensor | None) -> tuple[int, int, int] | None:
    """(units, dead units, batch) of the gradient a ReLU sent back: a unit is
    a position along dim 1 (a feature, a channel) of a batch along dim 0 (a
    1-d tensor: one sample of units), dead when its gradient is zero for every
    sample (and position) of the batch. None for a scalar or an absent gradient."""
    if sent is None or sent.dim() == 0 or sent.layout is not torch.strided:
        return None
    data = sent.detach()
    if data.dim() == 1:
        alive, batch = data != 0, 1
    else:
        alive, batch = (data.transpose(0, 1).reshape(data.shape[1], -1) != 0).any(dim=1), data.shape[0]
    units = alive.numel()
    return units, units - int(alive.sum()), batch


class PassHealth:
    """What one pass's hooks note for the diagnosis: each ReLU node's dead
    units (`relu`), and the run's non-finite watch on what each node sent."""

    def __init__(self, watch: NonFinite, pass_index: int) -> None:
        self.watch, self.pass_index = watch, pass_index
        self.relu: dict[object, tuple[int, int, int]] = {}

    def node(self, fn, sent, arrived) -> None:
        """Called by the pass's hook on every node it runs (not while a dispatch
        mode traces the pass: its gradients hold no numbers to count, see `finite`)."""
        if type(fn).__name__ in RELU_OPS and sent and not _dispatch_modes():
            counts = dead_units(sent[0])
            if counts is not None:
                self.relu[fn] = counts
        self.watch.backward(fn, sent, arrived, self.pass_index)


def origin_finding(
    origin: Origin | None, ids: dict[object, str], span: Callable[[object], tuple], passes: int
) -> list[Finding]:
    """The origin as the record's finding: its node and that node's line when
    the graph drawn holds it (`ids`, `span`: the builder's), else the line
    that ran; a forward origin's pass only if a pass followed it."""
    if origin is None:
        return []
    node = ids.get(origin.fn) if origin.fn is not None else None
    line = span(origin.fn)[0] if node is not None else None
    return [
        Finding(
            kind=origin.kind,
            stage=origin.stage,
            line=origin.line if line is None else line,
            op=origin.op.strip("_"),
            node=node,
            pass_index=origin.pass_index if origin.pass_index < passes else None,
            operands=[Operand(role, shape, value) for role, shape, value in origin.operands],
        )
    ]


# A norm outside this range is summed again in float64: its float32 sum of
# squares may have overflowed (past 1e19) or underflowed (below 1e-19).
_FLOAT32_SAFE = (1e-18, 1e18)


def _norm(grad: torch.Tensor) -> float:
    """The 2-norm. Summed in the gradient's own precision, which is twice as
    fast, and again in float64 when that sum may have overflowed or
    underflowed (`_FLOAT32_SAFE`), so an infinite norm means an infinite
    entry and a zero one a gradient of zeros, and a vanishing gradient's
    1e-30 is measured, not rounded to 0."""
    data = grad.detach()
    if data.is_complex():
        data = data.abs()
    norm = torch.linalg.vector_norm(data).item()
    low, high = _FLOAT32_SAFE
    if not low < norm < high and data.dtype is not torch.float64:
        norm = torch.linalg.vector_norm(data, dtype=torch.float64).item()
    return norm


def pass_health(hooks, grads: dict[str, torch.Tensor | None], ids: dict[object, str], ordinary) -> dict:
    """A pass's `norms` (every gradient's, `grads` by node id; `ordinary`
    reads torch's sparse and zero forms) and `relu` counts, as `Pass` fields."""
    norms = {node_id: _norm(ordinary(grad)) for node_id, grad in grads.items() if grad is not None}
    relu = {} if hooks.health is None else hooks.health.relu
    return {"norms": norms, "relu": {ids[fn]: ReluUnits(*counts) for fn, counts in relu.items() if fn in ids}}
