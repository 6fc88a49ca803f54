"""The torch-function mode that sees every torch call a program makes.

Why a TorchFunctionMode: every torch call made while the mode is active passes
through `__torch_function__`, whoever makes it (the program's own code, an
`nn.Module`, a library function). That gives one place to (a) remember each
op's forward output, keyed by the grad_fn it created, and (b) intercept
`Tensor.backward` and `torch.autograd.grad`, so each backward call becomes a
pass with hooks on every node, without the program calling `retain_grad()`.
What is seen goes to the `Recorder` (graphs.worker.recorder), which keeps it.
"""

from __future__ import annotations

import functools
import sys
import weakref
from typing import Any, Protocol

import torch
from torch.overrides import TorchFunctionMode

from graphs.worker.cuts import Cuts
from graphs.worker.health import NonFinite
from graphs.worker.program import passed_on, program_call, user_frame


class Watcher(Protocol):
    """What the mode reports to: the Recorder."""

    observing: bool
    in_pass: bool
    unsettled: list
    cuts: Cuts

    def run_pass(self, kind: str, func, args, kwargs) -> Any: ...
    def quiet_pass(self, func, root, args, kwargs) -> Any: ...
    def settle_if_written(self, *targets) -> None: ...
    def seen(self, out, args) -> None: ...
    def note_hook(self, tensor: torch.Tensor) -> None: ...


_transforming = torch._C._are_functorch_transforms_active
top_mode = torch.overrides._get_current_function_mode
_BACKWARD = torch.Tensor.backward
_GRAD = torch.autograd.grad
_AUTOGRAD_BACKWARD = torch.autograd.backward
# Recorders running quietly now (innermost last): see `Recorder.at_iteration`.
quiet: list[Watcher] = []


# While a Recorder runs, `Tensor.backward` and `torch.autograd.grad` are
# these wrappers (restored when it exits). With the mode on they only call
# torch (the mode sees them: torch looks both up by name when it hands a
# call to a mode); in a quiet stretch, with no mode of ours, they are what
# still counts each pass and keeps its loss. A mode of the program's own
# (`torch.set_default_device` leaves one on the stack) hands the same call
# back to the wrapper by name: the pass running then is the one counted.
@functools.wraps(_BACKWARD)
def _backward(self, *args, **kwargs):
    if quiet and not quiet[-1].in_pass and not _transforming():
        return quiet[-1].quiet_pass(_BACKWARD, self, (self, *args), kwargs)
    return program_call(_BACKWARD, (self, *args), kwargs)


@functools.wraps(_GRAD)
def _grad(*args, **kwargs):
    if quiet and not quiet[-1].in_pass and not _transforming() and not _batched(args, kwargs):
        outputs = args[0] if args else kwargs.get("outputs")
        root = outputs if isinstance(outputs, torch.Tensor) else next(iter(outputs or ()), None)
        return quiet[-1].quiet_pass(_GRAD, root, args, kwargs)
    return program_call(_GRAD, args, kwargs)


@functools.wraps(_AUTOGRAD_BACKWARD)
def _autograd_backward(
    tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None, inputs=None
):
    """`torch.autograd.backward(loss)`, as some tutorials write `loss.backward()`:
    one tensor's backward is that tensor's `backward()`, so it becomes a pass
    like any other. Everything else goes straight to torch: several tensors at
    once, torch's own `Tensor.backward` (which calls this function), and a call
    made while the engine runs a backward (a reentrant checkpoint's)."""
    root, gradient = _one(tensors), _one(grad_tensors)
    if (
        root is None
        or grad_tensors is not None
        and gradient is None
        or grad_variables is not None
        or sys._getframe(1).f_code is _BACKWARD.__code__
        or torch._C._current_autograd_node() is not None
    ):
        return program_call(
            _AUTOGRAD_BACKWARD, (tensors, grad_tensors, retain_graph, create_graph, grad_variables, inputs)
        )
    return program_call(root.backward, (gradient, retain_graph, create_graph), {"inputs": inputs})


def _one(value) -> torch.Tensor | None:
    """The tensor `value` is, or holds alone in a list or tuple."""
    if isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]
    return value if isinstance(value, torch.Tensor) else None


def _batched(args, kwargs) -> bool:
    """Whether an `autograd.grad` call is `is_grads_batched=True` (what
    `jacobian(..., vectorize=True)` makes): torch runs that pass under vmap,
    so every gradient a hook could see is a batch of them, which no tensor
    function of ours can read. Like a call inside a torch.func transform, it
    runs as one call of the program, not as a pass of the record."""
    if "is_grads_batched" in kwargs:
        return bool(kwargs["is_grads_batched"])
    return len(args) > 7 and bool(args[7])


_ADD_BATCH_DIM = torch._add_batch_dim
_IS_LEGACY_BATCHED = torch._C._functorch.is_legacy_batchedtensor


def _legacy_batched(values) -> bool:
    """Whether an op ran on the batches of torch's older vmap, which
    `torch.autograd.functional` uses when asked to `vectorize` (its
    forward-mode Jacobian runs the program's function on them). Unlike
    torch.func's, it leaves no transform on a stack to ask about, and its
    tensors cannot even be detached: such an op is a step inside one call
    of the program, like one inside a torch.func transform, not a node to
    record, and a pass on them (a Hessian's inner Jacobian) is no pass of the
    record. Asked only once the program has made such a batch (`legacy_vmap`).
    `values`: an op's output and arguments, each a tensor or a list of them."""
    for value in values:
        for item in value if isinstance(value, (list, tuple)) else (value,):
            if isinstance(item, torch.Tensor) and _IS_LEGACY_BATCHED(item):
                return True
    return False


# Calls the mode acts on: the passes, and two it takes note of (see `Observer._note`).
_SPECIAL = {
    _BACKWARD: "backward",
    _backward: "backward",
    _GRAD: "grad",
    _grad: "grad",
    _ADD_BATCH_DIM: "batch",
    torch.Tensor.register_hook: "hook",
}
_installed = [0]  # Recorders running now; the wrappers are in place while > 0


def install(on: bool) -> None:
    _installed[0] += 1 if on else -1
    if _installed[0] == (1 if on else 0):
        torch.Tensor.backward = _backward if on else _BACKWARD  # type: ignore[method-assign]
        torch.autograd.grad = _grad if on else _GRAD
        torch.autograd.backward = _autograd_backward if on else _AUTOGRAD_BACKWARD


class Observer(TorchFunctionMode):
    """Routes every torch call made under the mode to its Recorder (held
    weakly, like every back reference to a Recorder: see `Recorder`)."""

    def __init__(self, recorder: Watcher):
        super().__init__()
        self.recorder = weakref.proxy(recorder)
        self.legacy_vmap = False  # the program made a batch of torch's older vmap: see _legacy_batched
        self.watch = NonFinite(recorder)  # the run's first NaN or Inf (graphs.worker.health)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        # Not observing (an optimizer step), or inside torch.func.grad/vmap (wrapped tensors)
        if not self.recorder.observing or _transforming():
            try:
                return func(*args, **kwargs)
            except Exception as exc:
                passed_on(exc)
                raise
        kind = _SPECIAL.get(func)
        if kind is not None:
            if self._is_pass(kind, args, kwargs):
                return self.recorder.run_pass(kind, func, args, kwargs)
            self._note(kind, args)
        if self.recorder.unsettled and (getattr(func, "__name__", "_")[-1:] == "_" or "out" in kwargs):
            self.recorder.settle_if_written(args[0] if args else None, kwargs.get("out"))
        try:
            out = func(*args, **kwargs)
        except Exception as exc:
            passed_on(exc)
            raise
        # A read (`x.shape`, `x.dim()`, `x.item()`) makes and changes no tensor:
        # half of a transformer's calls, passed straight back. None is not a
        # read: index assignment returns it after writing into args[0].
        if out is not None and (type(out) is torch.Size or not isinstance(out, (torch.Tensor, tuple, list))):
            return out
        if self.legacy_vmap and _legacy_batched((out, *args)):
            return out
        self.recorder.seen(out, args)
        self.watch.forward(func, out, args, kwargs)
        self.recorder.cuts.observe(func, out, args)
        return out

    def _is_pass(self, kind: str, args, kwargs) -> bool:
        """Whether a `backward()`/`autograd.grad()` call is a pass of the record:
        not when vmap runs it, whose gradients are batches no hook can read."""
        if kind not in ("backward", "grad") or kind == "grad" and _batched(args, kwargs):
            return False
        return not (self.legacy_vmap and _legacy_batched(args))

    def _note(self, kind: str, args) -> None:
        """A batch of torch's older vmap is made (`_legacy_batched`), or the
        program hooks a tensor's gradient (`Recorder.note_hook`)."""
        if kind == "batch":
            self.legacy_vmap = True
        elif kind == "hook" and args and isinstance(args[0], torch.Tensor):
            self.recorder.note_hook(args[0])


def program_line() -> int | None:
    """The program line running now (its innermost frame), if any."""
    frame = user_frame(sys._getframe(1))
    return None if frame is None else frame.f_lineno


def call_line() -> int | None:
    """The program line that called the backward pass running now: its
    innermost frame, past the handler of a mode of the program's own
    (`__torch_function__`), which only runs the call on the program's behalf.
    So a pass has the line of its `loss.backward()` whether our mode saw the
    call (through the program's mode) or our wrapper did (a quiet stretch)."""
    frame = user_frame(sys._getframe(1))
    while frame is not None and frame.f_code.co_name == "__torch_function__":
        frame = user_frame(frame.f_back)
    return None if frame is None else frame.f_lineno
