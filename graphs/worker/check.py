"""Gradient check: autograd against float64 central differences, leaf by leaf.

The seeds check gradients by hand; this does it for any program. The program
runs several times in float64 (every float32 request becomes float64):
  - a counting run finds how many passes it makes;
  - the base run stops at the chosen pass, asks autograd for the gradient of
    L = sum(seed * root) with respect to every leaf of that pass, and notes
    the leaves;
  - two runs per leaf entry nudge that entry by ±EPS and read L at the same pass.
The nudged runs share a time budget measured from the base run, so a real
model (a ResNet runs for a second in float64) checks as many leaves as the
budget allows, spread over the model, and says how many it left out.
A leaf is found again in a later run by the order in which the program first
touched it (deterministic once the random seed is fixed). It is nudged
where the forward pass of the chosen pass first uses it: at its first use
after the previous pass (a training loop updates parameters in place), or
at its first appearance when that pass's graph was built earlier (several
passes over one retained graph).

Autograd runs the program's own backward functions, so a custom
`torch.autograd.Function` with a wrong `backward` disagrees here.
"""

from __future__ import annotations

import math
import sys
import time

import torch
from torch.overrides import TorchFunctionMode

from graphs.errors import ProgramError
from graphs.record.check import ATOL, EPS, RTOL, CheckResult, LeafCheck
from graphs.worker.program import compile_program, passed_on, run_code, user_frame
from graphs.worker.walk import is_leaf_fn, walk

MAX_ENTRIES = 256  # leaf entries nudged per check (two program runs each), shared among the leaves
BUDGET_S = 3.0  # seconds for the nudged runs: with the first two runs, well inside the worker's 10 s
_NARROW = (torch.float32, torch.float16, torch.bfloat16)
# Calls that only look at a tensor (`w.grad`, `print(w)`): not a use that builds a graph.
_LOOKS = frozenset(
    {
        "__get__",
        "__set__",
        "__repr__",
        "__str__",
        "__format__",
        "tolist",
        "item",
        "numpy",
        "size",
        "dim",
        "numel",
        "__len__",
        "data_ptr",
        "is_contiguous",
        "stride",
    }
)
# Ops whose derivative jumps somewhere (by name, as torch functions and methods are called).
_KINKED = frozenset(
    {"relu", "relu6", "leaky_relu", "hardtanh", "threshold", "abs", "clamp", "clip", "max", "min"}
    | {"maximum", "minimum", "max_pool1d", "max_pool2d", "max_pool3d", "adaptive_max_pool2d"}
    | {"hardswish", "hardsigmoid", "sign", "round", "floor", "ceil", "amax", "amin", "sort", "topk"}
)
_BACKWARD = torch.Tensor.backward
_GRAD = torch.autograd.grad


class _Stop(Exception):
    """Raised from inside the program at the chosen pass: nothing after it matters."""


class _Float64(TorchFunctionMode):
    """Runs every torch call in float64, numbers leaves by first touch, and
    acts at the chosen pass (`at_pass`)."""

    def __init__(
        self,
        target: int | None,
        nudge: tuple[int, int, float] | None = None,
        late: frozenset[int] = frozenset(),
    ):
        super().__init__()
        self.target, self.nudge, self.late = target, nudge, late
        self.passes = 0
        self.order: dict[int, int] = {}  # id(leaf) -> first-touch ordinal
        self.keep: list[torch.Tensor] = []  # holds leaves so ids stay theirs
        self.touched_since_pass: set[int] = set()
        self.kinked = False  # an op with kinks ran (see CheckResult.kinked)
        self.used: set[int] = set()  # ordinals a graph-building call has used
        self.result: tuple | None = None

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = dict(kwargs or {})
        if _narrow(kwargs.get("dtype")):
            kwargs["dtype"] = torch.float64
        args = tuple(torch.float64 if _narrow(arg) else arg for arg in args)
        if func is torch.Tensor.float:
            func = torch.Tensor.double
        if func is _BACKWARD or func is _GRAD:
            return self._pass(func, args, kwargs)
        name = getattr(func, "__name__", "")
        self.kinked = self.kinked or name.strip("_") in _KINKED
        # A use that builds the graph: grad mode on (init and optimizers run under
        # no_grad) and not an in-place write (`fill_`, `kaiming_uniform_`), which
        # would overwrite a nudge made before it.
        builds = torch.is_grad_enabled() and not name.endswith("_")
        if name not in _LOOKS:  # keywords too: F.batch_norm passes weight= and bias=
            self._touch((*args, *kwargs.values()), builds)
        try:
            out = func(*args, **kwargs)
        except Exception as exc:
            passed_on(exc)  # the program's call failed in torch, not our mode
            raise
        self._touch((out,) if isinstance(out, torch.Tensor) else (), builds)
        return out

    def _touch(self, tensors, builds: bool) -> None:
        for tensor in tensors:
            if not (isinstance(tensor, torch.Tensor) and tensor.is_leaf and tensor.requires_grad):
                continue
            ordinal = self.order.get(id(tensor))
            if ordinal is None:  # numbered by any touch, nudged only at a use
                ordinal = self.order[id(tensor)] = len(self.order)
                self.keep.append(tensor)
            if not builds:
                continue
            fresh = ordinal not in self.touched_since_pass and self.passes == self.target
            first_use = ordinal not in self.used
            self.touched_since_pass.add(ordinal)
            self.used.add(ordinal)
            if self.nudge and self.nudge[0] == ordinal and (fresh if ordinal in self.late else first_use):
                with torch.no_grad():
                    tensor.view(-1)[self.nudge[1]] += self.nudge[2]
                self.nudge = None

    def _pass(self, func, args, kwargs):
        if self.passes != self.target:
            self.passes += 1
            self.touched_since_pass = set()
            try:
                return func(*args, **kwargs)
            except Exception as exc:
                passed_on(exc)
                raise
        roots, seeds = _roots_and_seeds(func, args, kwargs)
        loss = sum((seed * root.detach()).sum() for root, seed in zip(roots, seeds, strict=True))
        leaves = [
            fn.variable
            for fn, _ in walk([r.grad_fn for r in roots])
            if is_leaf_fn(fn) and fn.variable.requires_grad
        ]
        grads = _GRAD(roots, leaves, seeds, retain_graph=True, allow_unused=True) if leaves else ()
        self.result = (float(loss), leaves, grads, user_frame(sys._getframe(1)))
        raise _Stop


def _narrow(value: object) -> bool:
    """A float dtype below float64 (only dtypes are compared: other objects may refuse `==`)."""
    return isinstance(value, torch.dtype) and value in _NARROW


def _roots_and_seeds(func, args, kwargs) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    if func is _BACKWARD:
        roots = [args[0]]
        given = kwargs.get("gradient", args[1] if len(args) > 1 else None)
    else:
        outputs = kwargs.get("outputs", args[0] if args else None)
        roots = [outputs] if isinstance(outputs, torch.Tensor) else list(outputs)
        given = kwargs.get("grad_outputs", args[2] if len(args) > 2 else None)
    if isinstance(given, torch.Tensor):
        given = [given]
    seeds = [
        torch.ones_like(root) if given is None or given[i] is None else given[i].detach().double()
        for i, root in enumerate(roots)
    ]
    return roots, seeds


def _run(code, mode: _Float64) -> _Float64:
    torch.manual_seed(0)  # unseeded programs draw the same numbers every run
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        with mode:
            run_code(code, tell_ours=True)
    except ProgramError as err:
        if not isinstance(err.__cause__, _Stop):
            raise
    finally:
        torch.set_default_dtype(default)
    return mode


def _names(frame, leaves: list[torch.Tensor]) -> list[str]:
    """Each leaf's name in the program at the pass (a variable or a module's parameter)."""
    found: dict[int, str] = {}
    scopes = [] if frame is None else [frame.f_locals, frame.f_globals]
    for scope in scopes:
        for name, value in list(scope.items()):
            if isinstance(value, torch.Tensor):
                found.setdefault(id(value), name)
            elif isinstance(value, torch.nn.Module):
                for path, param in value.named_parameters():
                    found.setdefault(id(param), f"{name}.{path}")
    return [found.get(id(leaf), f"leaf {i}") for i, leaf in enumerate(leaves)]


def check_in_process(source: str, pass_index: int | None = None) -> dict:
    """The check of one pass (0-based; None: the last) as JSON-able data;
    raises `ProgramError` when the program fails or the pass does not exist."""
    code = compile_program(source)
    count = _run(code, _Float64(target=None)).passes
    if count == 0:
        raise ProgramError("the program makes no backward pass: there is no gradient to check")
    chosen = count - 1 if pass_index is None else pass_index
    if not 0 <= chosen < count:
        raise ProgramError(f"pass {chosen} does not exist; the program made {count} backward pass(es)")
    started = time.perf_counter()
    base = _run(code, _Float64(target=chosen))
    run_s = time.perf_counter() - started
    loss, leaves, grads, frame = base.result
    ordinals = [base.order[id(leaf)] for leaf in leaves]
    late = frozenset(ordinal for ordinal in ordinals if ordinal in base.touched_since_pass)
    nudges = MAX_ENTRIES  # entries nudged in all, two runs each
    share = max(1, nudges // max(len(leaves), 1))
    if 2 * run_s * sum(min(leaf.numel(), share) for leaf in leaves) > BUDGET_S:  # a large model
        nudges = max(1, int(BUDGET_S / (2 * run_s)))
    checked = set(_spread(len(leaves), nudges))  # every leaf, unless time is short
    result = CheckResult(chosen, count, leaves_unchecked=len(leaves) - len(checked))
    share = max(1, nudges // max(len(checked), 1))
    named = zip(leaves, grads, _names(frame, leaves), strict=True)
    # The estimate above cannot foresee the kink retries: past the budget, the
    # leaves not reached yet are left out too (a ResNet-50 otherwise ran past
    # the worker's limit and showed no check at all).
    deadline = time.perf_counter() + BUDGET_S
    chosen_leaves = [item for position, item in enumerate(named) if position in checked]
    for done, (leaf, grad, name) in enumerate(chosen_leaves):
        if done and time.perf_counter() > deadline:
            result.leaves_unchecked += len(chosen_leaves) - done
            break
        ordinal = base.order[id(leaf)]
        autograd = (torch.zeros_like(leaf) if grad is None else grad).detach().reshape(-1)
        entries = _spread(leaf.numel(), share)
        expected = autograd[entries].tolist()
        numeric = []
        for index, truth in zip(entries, expected, strict=True):
            nudge = (chosen, late, ordinal, index)
            found = _difference(code, nudge, EPS)
            if base.kinked and not _close(truth, found):  # a kink within ±EPS, or a wrong backward
                found = _difference(code, nudge, EPS / 100)
            numeric.append(found)
        result.leaves.append(_compare(name, list(leaf.shape), entries, expected, numeric))
    result.kinked = base.kinked
    return result.to_dict()


def _difference(code, nudge: tuple[int, frozenset[int], int, int], eps: float) -> float:
    """The central difference of L in one leaf entry: `nudge` is (pass, late
    ordinals, the leaf's ordinal, the flat entry)."""
    chosen, late, ordinal, index = nudge
    ends = [_run(code, _Float64(chosen, (ordinal, index, step), late)).result[0] for step in (eps, -eps)]
    return (ends[0] - ends[1]) / (2 * eps)


def _close(autograd: float, numeric: float) -> bool:
    """One entry agrees: relative error at most RTOL, or absolute at most ATOL."""
    error = abs(autograd - numeric)
    return error <= ATOL or error <= RTOL * max(abs(autograd), abs(numeric))


def _spread(numel: int, most: int) -> list[int]:
    """Every entry of a small leaf; `most` entries evenly spread over a large one."""
    if numel <= most:
        return list(range(numel))
    return sorted({round(i * (numel - 1) / (most - 1)) for i in range(most)}) if most > 1 else [0]


def _compare(
    name: str, shape: list[int], entries: list[int], autograd: list[float], numeric: list[float]
) -> LeafCheck:
    abs_errors = [abs(a - n) for a, n in zip(autograd, numeric, strict=True)]
    rel_errors = [
        err / max(abs(a), abs(n)) if err else 0.0
        for err, a, n in zip(abs_errors, autograd, numeric, strict=True)
    ]
    agrees = all(_close(a, n) for a, n in zip(autograd, numeric, strict=True))
    return LeafCheck(
        name,
        shape,
        entries,
        autograd,
        numeric,
        max(abs_errors, default=0.0),
        max(rel_errors, default=0.0),
        agrees and all(map(math.isfinite, numeric)),
    )
