"""Where gradient flow was cut, seen while the program runs.

The grad_fn graph alone cannot show a cut: a tensor that does not require
grad has no grad_fn, so an op's `next_functions` only has a `None` where it
came in. Capture therefore notes, per op, the tensors that came in without
requiring grad (constants, inputs, detached tensors), and, per tensor made by
`detach()` or under `torch.no_grad()` from tensors that require grad, where
it came from. The record draws those tensors as leaves of their own, and a
cut tensor joined to its origin by a dashed edge.

Watching costs one scan of an op's arguments when its output requires grad
(to find the constants), and nothing more unless grad mode is off or the op
is `detach`.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import torch

from graphs.worker.tensordata import Kept

_DETACH = torch.Tensor.detach


@dataclass
class Cut:
    """A tensor cut from the graph: how (`"detach"` or `"no_grad"`), from what
    (grad_fns, or leaf tensors that require grad), and the program line."""

    kind: str
    origins: list[object]
    line: int | None


class Cuts:
    """Constants of each op, and the origin of each cut tensor, for one Recorder."""

    def __init__(self, line) -> None:
        self.line = line  # () -> the program line running now
        # grad_fn -> (tensor, its value) for each input that does not require grad
        self.constants: dict[object, list[tuple[torch.Tensor, Kept]]] = {}
        self.cuts: dict[int, Cut] = {}  # id(cut tensor) -> its cut, while the tensor lives

    def observe(self, func, out, args) -> None:
        """After an op ran: note its constant inputs, or the cut it made."""
        if not isinstance(out, torch.Tensor):
            return
        fn = out.grad_fn
        if fn is not None:
            if fn not in self.constants:
                found = [(t, Kept(t)) for t in _tensors(args) if not t.requires_grad]
                if found:
                    self.constants[fn] = found
            return
        if out.requires_grad:
            return
        if func is _DETACH:
            kind = "detach"
        elif not torch.is_grad_enabled():
            kind = "no_grad"
        else:
            return
        origins = [t if t.grad_fn is None else t.grad_fn for t in _tensors(args) if t.requires_grad]
        if origins:
            key = id(out)
            self.cuts[key] = Cut(kind, origins, self.line())
            weakref.finalize(out, self.cuts.pop, key, None)

    def forget(self, fn) -> None:
        self.constants.pop(fn, None)


def _tensors(args) -> list[torch.Tensor]:
    """The tensors among an op's arguments (one level into lists: `torch.cat([a, b])`)."""
    found = []
    for arg in args:
        if isinstance(arg, torch.Tensor):
            found.append(arg)
        elif isinstance(arg, (list, tuple)):
            found.extend(item for item in arg if isinstance(item, torch.Tensor))
    return found
