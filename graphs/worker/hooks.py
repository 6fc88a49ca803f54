"""One backward pass, watched by hooks on every grad_fn it may run.

A node hook receives `grad_outputs` (the gradient of the pass's root with
respect to the node's output: what `retain_grad()` would have shown) and
`grad_inputs` (what the node sends on to its children). Counting hook calls
gives the order in which the engine executed the nodes. Hooks are removed when
the pass ends, so a later pass starts clean.

A tensor hook of the program's (`y.register_hook(lambda g: g * 2)`) runs
before the node does: the node's gradient is what the hook returned (what
torch goes on with, and what a leaf's `.grad` gets), and what arrived is
what its parents sent, or the seed when it is the root.

What capture copies, and when (copies are what made it slow on big models):
- a node's gradient and what it sent (`grads`, `grad_inputs`, the latter up
  to GRAD_INPUT_LIMIT elements): held by reference. The hook runs before any
  node downstream, and a held tensor is one the engine can no longer steal
  or add into, so it stays as it was; only what is sent to a node the
  program hooked is copied, since its hook may change it in place (`g.mul_(2)`);
- a leaf's `.grad` after the pass: held, and copied only when something may
  change it in place (the next pass, an optimizer step, an in-place op on
  its storage: `settle`), so a one-pass program copies none;
- the root's value and the pass's seed: copied once per pass (one tensor);
- forward values (graphs.worker.tensordata.Kept): copied when the op runs only up
  to CLONE_LIMIT elements, larger ones held with their version counter;
- Jacobians (graphs.worker.chain): computed, never held tensors of the engine's;
- saved values (graphs.worker.attrs): read before the pass frees them, and kept as
  dtype and shape only: holding the tensors kept every saved activation alive
  through the backward, whose gradients then could not reuse that memory.
Lists of numbers for the record are made after the program (graphs.worker.build).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Collection

import torch
from torch.autograd.graph import get_gradient_edge

from graphs.worker.attrs import saved_values
from graphs.worker.chain import JACOBIAN_LIMIT, JacobianBudget
from graphs.worker.health import NonFinite, PassHealth
from graphs.worker.tensordata import GRAD_INPUT_LIMIT, snapshot
from graphs.worker.walk import is_leaf_fn, walk


@functools.cache
def _signature(func) -> inspect.Signature:
    return inspect.signature(func)  # asked on every pass of a long loop: once is enough


def _tensors(value) -> list[torch.Tensor]:
    if value is None:
        return []
    if isinstance(value, torch.Tensor):
        return [value]
    return [item for item in value if isinstance(item, torch.Tensor)]


def root_node(tensor: torch.Tensor) -> object | None:
    """The node a pass from `tensor` starts at: its grad_fn, or, for a leaf
    that requires grad (`v.backward(g)` on a leaf), its AccumulateGrad. The
    engine runs that node too, after the leaf's own hooks (`v.register_hook`),
    so what arrives (the seed) and what the hooks made of it (what `v.grad`
    gets) are both seen, as for any other node."""
    if tensor.grad_fn is not None or not tensor.requires_grad:
        return tensor.grad_fn
    return get_gradient_edge(tensor).node


def storage(tensor: torch.Tensor) -> int | None:
    """Where a plain tensor's numbers live (what an in-place op writes into);
    None for torch's other forms (sparse, forward-mode AD's zeros), which have
    no one storage to watch."""
    if tensor.layout is not torch.strided or tensor._is_zerotensor():
        return None
    return tensor.untyped_storage().data_ptr()


def _dense(grads) -> bool:
    """Whether every gradient a node sent is a plain (strided) tensor, as a
    Jacobian's rows must be: `nn.Embedding(sparse=True)` sends a sparse one."""
    return all(grad is None or grad.layout is torch.strided for grad in grads)


def _first(grads) -> torch.Tensor | None:
    for grad in grads:
        if grad is not None:
            return grad
    return None


class PassHooks:
    """Context manager around one `backward()` / `autograd.grad()` call."""

    def __init__(
        self,
        kind: str,
        func,
        args,
        kwargs,
        line: int | None,
        index: int = 0,
        hooked: Collection[object] = (),
        watch: NonFinite | None = None,
    ):
        bound = _signature(func).bind(*args, **kwargs)
        params = bound.arguments
        self.kind = kind
        self.line = line
        self.index = index  # among all the program's passes, kept or not
        self.made: list[object] = []  # grad_fns the program made for this pass
        if kind == "backward":
            self.roots = [params["self"]]
            self.seeds = _tensors(params.get("gradient"))
        else:
            self.roots = _tensors(params["outputs"])
            self.seeds = _tensors(params.get("grad_outputs"))
        self.inputs = _tensors(params.get("inputs"))
        self.create_graph = bool(params.get("create_graph") or False)
        retain = params.get("retain_graph")
        self.retain_graph = self.create_graph if retain is None else bool(retain)
        self.root_values = [snapshot(t) for t in self.roots]
        self.root_fns = [root_node(t) for t in self.roots]
        self.order: dict[object, int] = {}
        self.grads: dict[object, torch.Tensor | None] = {}
        self.grad_inputs: dict[object, list[torch.Tensor | None]] = {}
        self.attrs: dict[object, dict[str, object]] = {}  # saved values, described when built
        self.leaf_grads: dict[object, torch.Tensor | None] = {}
        self.unsettled: list[tuple[object, torch.Tensor]] = []  # leaf grads not copied yet: see settle()
        # The chain rule's local Jacobians (graphs.worker.chain), read while saved tensors live.
        self.jacobians: dict[object, list[torch.Tensor | None] | None] = {}
        self._budget = JacobianBudget(index)
        self._leaf_fns: dict[int, object] = {}  # id(leaf tensor) -> AccumulateGrad
        self._hooked = hooked  # where the program's own hooks receive gradients (Recorder.note_hook)
        # node -> which of its edges lead to such a node: what it sends there is copied
        self._copied: dict[object, tuple[bool, ...]] = {}
        self._leaves: list[object] = []  # the AccumulateGrad nodes the pass may run, in walk order
        self._handles: list = []
        # What the diagnosis needs (graphs.worker.health), noted per node.
        self.health = None if watch is None else PassHealth(watch, index)

    def __enter__(self) -> PassHooks:
        # A node's hook is a `partial` of one function made per pass (its
        # tables bound once), not a closure per node: a closure made per node
        # was a function, a cell per captured name and a tuple, which on the
        # 333-node transformer cost 0.14 ms of the 1.6 ms spent hooking its pass.
        attrs, handles, leaves, hook = self.attrs, self._handles, self._leaves, self._hook()
        for fn, children in walk(self.root_fns):
            # Saved tensors are freed by the pass itself: read them first.
            attrs[fn] = saved_values(fn)
            if is_leaf_fn(fn):
                self._leaf_fns[id(fn.variable)] = fn
                leaves.append(fn)
            if self._hooked and any(map(self._is_hooked, children)):
                self._copied[fn] = tuple(
                    child is not None and self._is_hooked(child) for child, _ in fn.next_functions
                )
            handles.append(fn.register_hook(functools.partial(hook, fn)))
        return self

    def _is_hooked(self, fn) -> bool:
        """Whether a hook of the program's receives the gradient sent to `fn`."""
        return fn in self._hooked or (is_leaf_fn(fn) and id(fn.variable) in self._hooked)

    def __exit__(self, *exc) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        for fn in self._leaves:
            if fn in self.order:
                self._hold_leaf(fn)

    def _hold_leaf(self, fn) -> None:
        """Note the leaf's `.grad` after this pass, held until `settle` copies
        it; one whose storage cannot be watched (a sparse `.grad`) is copied now."""
        self.leaf_grads[fn] = grad = fn.variable.grad
        if grad is not None and storage(grad) is None:
            self.leaf_grads[fn] = snapshot(grad)
        elif grad is not None:
            self.unsettled.append((fn, grad))

    def storages(self) -> set[int | None]:
        """Where the leaf grads not copied yet live (an in-place op there must settle first)."""
        return {storage(grad) for _, grad in self.unsettled}

    def settle(self) -> None:
        """Copy each leaf's `.grad` as it stood after this pass.

        Copying every parameter's gradient when the pass ends doubled a
        ResNet's capture time, and a one-pass program never changes them
        again. So the pass holds the `.grad` tensors themselves, and the
        Recorder calls this before anything may change them in place: the
        next pass (which accumulates into them), an optimizer step, or an
        in-place op on their storage (`w.grad.zero_()`, `w.grad.data -= ...`).
        `zero_grad()` sets `.grad` to None and leaves the held tensor alone.
        If the engine stole the pass's gradient as that `.grad` (a buffer
        nobody else held), the pass's own gradient is this same copy, so one
        copy serves both."""
        for fn, grad in self.unsettled:
            self.leaf_grads[fn] = copy = snapshot(grad)
            incoming = self.grads.get(fn)
            if incoming is not None and incoming.data_ptr() == grad.data_ptr():
                self.grads[fn] = copy
        self.unsettled.clear()

    def take_results(self, results) -> None:
        """`autograd.grad` hands gradients back instead of running the inputs'
        own nodes (a leaf's AccumulateGrad never runs): file them under those
        nodes, as the last steps of the pass."""
        for tensor, grad in zip(self.inputs, results, strict=True):
            fn = tensor.grad_fn or self._leaf_fns.get(id(tensor))
            if fn is None or grad is None:
                continue
            self.order.setdefault(fn, len(self.order) + 1)
            self.grads[fn] = snapshot(grad)
            if is_leaf_fn(fn):
                self._hold_leaf(fn)  # `.grad` as autograd.grad left it: untouched, often None

    def loss(self) -> float | None:
        """The root's value when it is one number (what a training loop calls the loss)."""
        value = self.root_values[0] if self.root_values else None
        return float(value.item()) if value is not None and value.numel() == 1 else None

    def seed_for(self, index: int) -> torch.Tensor:
        """The gradient the pass started from at root `index` (ones by default)."""
        if index < len(self.seeds):
            return snapshot(self.seeds[index])
        return torch.ones_like(self.root_values[index])

    def _hook(self):
        # Gradients are kept by reference: a hook runs before the nodes
        # downstream, so holding them keeps the engine from stealing or
        # reusing them. The one exception, a leaf's gradient that already
        # became its `.grad`, is copied before it can change (settle).
        # The hook runs once per node of every kept pass: its tables are
        # bound locally, and one gradient (the usual case) is not searched.
        order, grads, grad_inputs, jacobians = self.order, self.grads, self.grad_inputs, self.jacobians
        budget, copied, health = self._budget, self._copied, self.health

        def hook(fn, inputs, outputs):
            order[fn] = len(order) + 1
            single = len(outputs) == 1
            grads[fn] = grad = outputs[0] if single else _first(outputs)
            sent = [None if g is None or g.numel() > GRAD_INPUT_LIMIT else g for g in inputs]
            if copied and fn in copied:  # a hook downstream may change it in place
                sent = [
                    snapshot(g) if g is not None and copy else g
                    for g, copy in zip(sent, copied[fn], strict=True)
                ]
            grad_inputs[fn] = sent
            # Most nodes of a big model are too large for a Jacobian: asked here, before a call.
            if (
                single
                and budget.left
                and grad is not None
                and grad.numel() <= JACOBIAN_LIMIT
                and _dense(inputs)
            ):
                jacobians[fn] = budget.local_jacobians(fn, inputs, outputs)
            if health is not None:
                health.node(fn, inputs, outputs)

        return hook
