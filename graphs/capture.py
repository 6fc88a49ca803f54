"""Capture: run PyTorch code while recording every grad_fn's value and gradient.

Why a TorchFunctionMode: every torch call made while the mode is active passes
through `__torch_function__`, whoever makes it (the program's own code, an
`nn.Module`, a library function). That gives one place to (a) remember each
op's forward output, keyed by the grad_fn it created, and (b) intercept
`Tensor.backward` and `torch.autograd.grad`, so each backward call becomes a
pass with hooks on every node, without the program calling `retain_grad()`.
"""
from __future__ import annotations

import sys
import weakref

import torch
from torch.overrides import TorchFunctionMode

from graphs.hooks import PassHooks
from graphs.program import user_frame
from graphs.recordbuild import build_record
from graphs.record import GraphRecord
from graphs.tensordata import Kept

_BACKWARD = torch.Tensor.backward
_GRAD = torch.autograd.grad


class _Observer(TorchFunctionMode):
    """Routes every torch call made under the mode to its Recorder."""

    def __init__(self, recorder: Recorder):
        super().__init__()
        self.recorder = recorder

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is _BACKWARD:
            return self.recorder._run_pass("backward", func, args, kwargs)
        if func is _GRAD:
            return self.recorder._run_pass("grad", func, args, kwargs)
        out = func(*args, **kwargs)
        self.recorder._observe(out, args)
        return out


class Recorder:
    """Collects forward values, names and backward passes of one program run."""

    def __init__(self) -> None:
        self._mode = _Observer(self)
        self.values: dict[object, Kept] = {}  # grad_fn -> its output
        self.labels: dict[object, str] = {}  # grad_fn or leaf tensor key -> name
        self.explicit: set[object] = set()
        # Labelled leaves, held weakly: a name must not keep every step's
        # input alive, and a dead tensor's id (reused later) loses its name.
        self.tensors: dict[int, weakref.ref] = {}
        self.passes: list[PassHooks] = []
        self.last: torch.Tensor | None = None  # last tensor that requires grad

    def __enter__(self) -> Recorder:
        self._mode.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._mode.__exit__(*exc)

    @property
    def line(self) -> int | None:
        """The program line running now (its innermost frame), if any."""
        frame = user_frame(sys._getframe(1))
        return None if frame is None else frame.f_lineno

    def label(self, tensor: torch.Tensor, text: str, explicit: bool) -> None:
        """Name the node that produced `tensor` (or the leaf itself).

        A name the program assigned beats an expression; otherwise the first
        label wins, so `y * y` keeps its own text when a larger expression
        containing it is labelled later.
        """
        key = self._key(tensor)
        if key in self.explicit or (key in self.labels and not explicit):
            return
        self.labels[key] = text
        if explicit:
            self.explicit.add(key)

    def roots(self) -> list[torch.Tensor]:
        """The tensors backpropagated from, or the last one requiring grad."""
        roots: list[torch.Tensor] = []
        for run in self.passes:
            roots.extend(t for t in run.roots if all(t is not r for r in roots))
        if not roots and self.last is not None:
            roots.append(self.last)
        return roots

    def record(self, prints: list[str] | tuple = (), source: str | None = None) -> GraphRecord:
        return build_record(self, list(prints), source)

    def named_leaves(self) -> dict[str, torch.Tensor]:
        """Leaf tensors that require grad, by the name the program gave them."""
        leaves = {key: ref() for key, ref in self.tensors.items()}
        return {self.labels[key]: tensor for key, tensor in leaves.items()
                if key in self.labels and tensor is not None and tensor.requires_grad}

    def name_of(self, key: object) -> str | None:
        return self.labels.get(key)

    def _key(self, tensor: torch.Tensor) -> object:
        if tensor.grad_fn is not None:
            return tensor.grad_fn
        key = id(tensor)
        if key not in self.tensors:
            self.tensors[key] = weakref.ref(tensor, lambda _, key=key: self._forget(key))
        return key

    def _forget(self, key: int) -> None:
        self.tensors.pop(key, None)
        self.labels.pop(key, None)
        self.explicit.discard(key)

    def _observe(self, out, args) -> None:
        if isinstance(out, torch.Tensor):
            self._keep(out)
        elif isinstance(out, (tuple, list)):
            for item in out:
                if isinstance(item, torch.Tensor):
                    self._keep(item)
        if args and isinstance(args[0], torch.Tensor) and args[0] is not out:
            self._keep(args[0])  # in-place ops and index assignment rewrite args[0]

    def _keep(self, tensor: torch.Tensor) -> None:
        fn = tensor.grad_fn
        if fn is not None and fn not in self.values:
            self.values[fn] = Kept(tensor)
        if tensor.requires_grad:
            self.last = tensor

    def _run_pass(self, kind: str, func, args, kwargs):
        run = PassHooks(kind, func, args, kwargs, line=self.line)
        self.passes.append(run)
        with run:
            result = func(*args, **kwargs)
        if kind == "grad":
            run.take_results(result)
            self._observe(tuple(result), ())
        return result


def capture(fn, *inputs, backward: bool = True) -> GraphRecord:
    """Capture any callable or `nn.Module` applied to `inputs`.

    Tensor inputs are named `input0`, `input1`, ...; a module's parameters by
    their qualified names (`0.weight`). Unless `fn` ran a backward pass
    itself, its output is backpropagated (with ones for non-scalar outputs),
    so every node gets a gradient.
    """
    with Recorder() as recorder:
        if isinstance(fn, torch.nn.Module):
            for name, param in fn.named_parameters():
                recorder.label(param, name, explicit=True)
        for i, tensor in enumerate(inputs):
            if isinstance(tensor, torch.Tensor):
                recorder.label(tensor, f"input{i}", explicit=True)
        out = fn(*inputs)
        if backward and not recorder.passes and isinstance(out, torch.Tensor) and out.requires_grad:
            recorder.label(out, "output", explicit=True)
            out.backward(torch.ones_like(out))
    return recorder.record()
