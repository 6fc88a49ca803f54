"""Recorder state -> GraphRecord: numbering nodes and converting tensors.

Runs once, after the program, so capture itself stays cheap: during the run
only references and small copies are kept; lists and summaries are made here.
"""

from __future__ import annotations

from collections import Counter
from typing import Protocol

import torch

from graphs.record.loops import LOOP_KINDS
from graphs.record.model import (
    ChainLink,
    Edge,
    GraphRecord,
    Loss,
    ModuleCall,
    Nested,
    Node,
    NoGradEdge,
    Numbers,
    Pass,
    listed,
)
from graphs.views.diagnosis import diagnose
from graphs.worker.attrs import describe, saved_attrs
from graphs.worker.chain import LONG_PROGRAM_PASSES_WITH_JACOBIANS
from graphs.worker.cuts import Cuts
from graphs.worker.health import Origin, origin_finding, pass_health
from graphs.worker.hooks import PassHooks
from graphs.worker.modulestack import ModuleStack
from graphs.worker.naming import LeafName, names_apart
from graphs.worker.optimizers import OptimizerSteps
from graphs.worker.sites import Sites, pass_titles
from graphs.worker.tensordata import Kept, dtype_name, numbers
from graphs.worker.walk import is_leaf_fn, walk


class Captured(Protocol):
    """What a record is built from: the Recorder's state once the program ran."""

    values: dict[object, Kept]  # grad_fn -> its forward output
    sites: dict[object, tuple]  # grad_fn -> where the program made it
    leaf_lines: dict[int, int | None]
    live: dict[int, list[str]]  # id(tensor) -> its names when the program ended
    explicit: set[object]  # keys whose name the program assigned (graphs.worker.naming)
    made_in: dict[object, int]  # grad_fn -> the module call that made it
    modules: ModuleStack
    cuts: Cuts
    passes: list[PassHooks]
    losses: list[Loss]
    steps: OptimizerSteps

    def name_of(self, key: object) -> str | None: ...

    def leaves(self) -> list[torch.Tensor]: ...

    def roots(self) -> list[torch.Tensor]: ...


def _ordinary(tensor: torch.Tensor) -> torch.Tensor:
    """`tensor` in the form its numbers can be read from. Torch passes some
    gradients in forms of its own: forward-mode AD's zeros, which have no
    storage at all (a Hessian by `outer_jacobian_strategy="forward-mode"`,
    any `fwAD.dual_level`), and sparse gradients (`nn.Embedding(sparse=True)`)."""
    if tensor._is_zerotensor():
        return torch.zeros(tensor.shape, dtype=tensor.dtype)
    if tensor.layout is not torch.strided:
        return tensor.to_dense()
    return tensor


def _real_list(jacobian: torch.Tensor | None) -> list | None:
    """A Jacobian as nested lists; None for a complex one (JSON has no complex numbers)."""
    return None if jacobian is None or jacobian.is_complex() else jacobian.tolist()


def _last(passes: list[PassHooks], fn, table: str):
    """The entry for `fn` in the latest pass that ran it, or None."""
    for hooks in reversed(passes):
        entries = getattr(hooks, table)
        if fn in entries:
            return entries[fn]
    return None


class _Builder:
    def __init__(self, recorder: Captured, source: str | None = None):
        self.rec = recorder
        self.sites = Sites(recorder.sites, source)
        self.ids: dict[object, str] = {}
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self.no_grad_edges: list[NoGradEdge] = []
        self.leaf_ids: dict[int, str] = {}  # id(leaf tensor) -> its node
        self.final_grads: dict[str, Numbers] = {}
        # grad_fn -> the module call that made it (the Recorder's index).
        self.made_in: dict[object, int] = {}
        # The same gradient tensor is a node's grad, its parent's grad_input
        # and a pass's entry: convert each tensor once. The memo holds the
        # tensor too, so its id cannot be reused by another while we build.
        self._lists: dict[int, tuple[torch.Tensor, object]] = {}

    def numbers(self, tensor: torch.Tensor | None) -> Numbers:
        if tensor is None:
            return None
        key = id(tensor)
        if key not in self._lists:
            self._lists[key] = (tensor, numbers(_ordinary(tensor)))
        return self._lists[key][1]

    def listed(self, tensor: torch.Tensor | None) -> Nested:
        """Entries only: what an op sent and a pass's seed are kept listed or not at all."""
        return listed(self.numbers(tensor))

    def tensor_fields(self, value: torch.Tensor | None, grad: torch.Tensor | None) -> dict:
        """Shape, dtype and value; the gradient only stands in for the shape
        when the value is gone (overwritten in place)."""
        shown = value if value is not None else grad
        return {
            "shape": [] if shown is None else list(shown.shape),
            "dtype": "" if shown is None else dtype_name(shown),
            "value": self.numbers(value),
        }

    def new_id(self) -> str:
        return f"n{len(self.nodes)}"

    def add_graph(self, root_fns: list) -> None:
        links = []
        made_in, seen = self.made_in, self.rec.values
        for fn, children in walk(root_fns):
            if fn in self.ids:
                continue  # a cut's origin reached a part drawn already
            # A node the mode never saw as an output was made inside one torch
            # call (linear's transpose): it belongs where that call was made.
            # The walk reaches it first from that call's own node.
            if fn in self.rec.made_in:
                made_in[fn] = self.rec.made_in[fn]
            for child in children:
                if child not in seen and child not in made_in and fn in made_in:
                    made_in[child] = made_in[fn]
            self.ids[fn] = node_id = self.new_id()
            make = self.leaf_node if is_leaf_fn(fn) else self.op_node
            self.nodes.append(make(fn, node_id))
            links.append((fn, children))
        for fn, children in links:  # children are numbered once the walk is over
            self.edges.extend(Edge(self.ids[fn], self.ids[child]) for child in children)

    def op_node(self, fn, node_id: str) -> Node:
        passes = self.rec.passes
        grad = _last(passes, fn, "grads")  # stands in for the shape when the value is gone
        attrs = _last(passes, fn, "attrs")
        kept = self.rec.values.get(fn)
        line, text = self.sites.span(fn)
        module_call = self.made_in.get(fn)
        return Node(
            id=node_id,
            kind="op",
            op=type(fn).__name__,
            name=self.rec.name_of(fn) or text,
            **self.tensor_fields(None if kept is None else kept.get(), grad),
            attrs=saved_attrs(fn) if attrs is None else describe(attrs),
            line=line,
            module=None if module_call is None else self.rec.modules.calls[module_call][0],
            call=None if module_call is None else self.rec.modules.calls[module_call][1],
        )

    def leaf_node(self, fn, node_id: str) -> Node:
        return self.leaf_of(fn.variable, node_id)

    def leaf_of(self, variable: torch.Tensor, node_id: str) -> Node:
        self.final_grads[node_id] = self.numbers(variable.grad)
        self.leaf_ids[id(variable)] = node_id
        return Node(
            id=node_id,
            kind="leaf",
            op=None,
            name=self.rec.name_of(id(variable)),
            **self.tensor_fields(variable.detach(), None),
            requires_grad=variable.requires_grad,
            line=self.rec.leaf_lines.get(id(variable)),
        )

    def add_unreached_leaves(self) -> None:
        """Named leaves that got a gradient the graph does not show: a reentrant
        `checkpoint` runs its own backward inside the pass, so the parameters
        its function used are no inputs of any node. They are boxes of their
        own, with their `.grad`, rather than missing. Only those the program
        still holds by a name: a leaf of an earlier iteration is history."""
        for tensor in self.rec.leaves():
            if tensor.grad is not None and id(tensor) in self.rec.live and id(tensor) not in self.leaf_ids:
                self.nodes.append(self.leaf_of(tensor, self.new_id()))

    def name_leaves_apart(self) -> None:
        """No two leaves under one name (graphs.worker.naming.names_apart)."""
        nodes = {node.id: node for node in self.nodes}
        leaves = [
            LeafName(
                node_id,
                nodes[node_id].name,
                self.rec.live.get(key, []),
                nodes[node_id].line,
                explicit=key in self.rec.explicit,
            )
            for key, node_id in self.leaf_ids.items()
        ]
        for node_id, name in names_apart(leaves).items():
            nodes[node_id].name = name

    def add_constants(self) -> None:
        """Each op's inputs that do not require grad, as leaves of their own
        (one per tensor), and each cut tensor's dashed edge to the node it was
        computed from. An origin the program's graph did not reach brings its
        own graph along (the part whose gradient the cut stops), whose ops may
        have constants and cuts of their own: hence the loop until no op is new."""
        cuts = self.rec.cuts
        constant_ids: dict[int, str] = {}
        done: set[object] = set()
        while len(done) < len(self.ids):
            for fn in [fn for fn in self.ids if fn not in done]:
                done.add(fn)
                for tensor, kept in cuts.constants.get(fn, ()):
                    key = id(tensor)
                    if key not in constant_ids:
                        constant_ids[key] = self.constant_node(tensor, kept, cuts.cuts.get(key))
                    self.no_grad_edges.append(NoGradEdge(self.ids[fn], constant_ids[key], "constant"))

    def constant_node(self, tensor: torch.Tensor, kept, cut) -> str:
        node = Node(
            id=self.new_id(),
            kind="leaf",
            op=None,
            name=self.rec.name_of(id(tensor)),
            **self.tensor_fields(kept.get(), None),
            requires_grad=False,
            line=self.rec.leaf_lines.get(id(tensor)) if cut is None else cut.line,
        )
        self.nodes.append(node)
        for origin in () if cut is None else cut.origins:
            if isinstance(origin, torch.Tensor):  # a leaf that requires grad
                if id(origin) not in self.leaf_ids:
                    self.nodes.append(self.leaf_of(origin, self.new_id()))
                origin_id = self.leaf_ids[id(origin)]
            else:
                self.add_graph([origin])
                origin_id = self.ids[origin]
            self.no_grad_edges.append(NoGradEdge(node.id, origin_id, cut.kind))
        return node.id

    def output_node(self, tensor: torch.Tensor, value: torch.Tensor, fn) -> str:
        """The root `tensor` as an output node, with its edge to `fn`, the
        node its passes started at (hooks.root_node)."""
        key = tensor.grad_fn if tensor.grad_fn is not None else id(tensor)
        line, text = (None, None) if tensor.grad_fn is None else self.sites.span(tensor.grad_fn)
        node = Node(
            id=self.new_id(),
            kind="output",
            op=None,
            name=self.rec.name_of(key) or text,
            **self.tensor_fields(value, None),
            requires_grad=tensor.requires_grad,
            line=line,
        )
        self.nodes.append(node)
        if fn in self.ids:
            self.edges.append(Edge(node.id, self.ids[fn]))
        return node.id

    def module_calls(self) -> list[ModuleCall]:
        """The module calls that made nodes of the graph, and the calls they
        ran inside, in the order they were made."""
        calls = self.rec.modules.calls
        needed: set[int] = set()
        for index in self.made_in.values():
            while index is not None and index not in needed:
                needed.add(index)
                index = calls[index][3]
        order = sorted(needed)
        position = {index: i for i, index in enumerate(order)}
        # Calls are numbered among those the record keeps, per module in the order they
        # ran: a long loop's quiet middle (graphs.worker.loops) records no call at all, and a
        # count of every call would tell its record from a full capture's. A loop iteration
        # keeps its own number, counted quiet or not (graphs.worker.loopmarks).
        number: dict[int, int] = {}
        counts: Counter[str] = Counter()
        for index in order:
            path, own, kind, _parent = calls[index]
            number[index] = own if kind in LOOP_KINDS else counts[path]
            counts[path] += 1
        nodes = {node.id: node for node in self.nodes}
        for fn, index in self.made_in.items():
            node = nodes.get(self.ids.get(fn, ""))
            if node is not None and node.module is not None:
                node.call = number[index]
        return [
            ModuleCall(calls[index][0], number[index], calls[index][2], position.get(calls[index][3]))
            for index in order
        ]

    def pass_record(self, hooks: PassHooks, outputs: dict[int, str], title: str, chain: bool = True) -> Pass:
        grads = {self.ids[fn]: g for fn, g in hooks.grads.items()}
        seeds = [hooks.seed_for(i) for i in range(len(hooks.roots))]
        grads.update({outputs[id(t)]: seed for t, seed in zip(hooks.roots, seeds, strict=True)})
        return Pass(
            index=hooks.index,
            kind=hooks.kind,
            line=hooks.line,
            title=title,
            roots=[outputs[id(t)] for t in hooks.roots],
            create_graph=hooks.create_graph,
            retain_graph=hooks.retain_graph,
            seed=self.listed(seeds[0]) if seeds else None,
            order={self.ids[fn]: step for fn, step in hooks.order.items()},
            **pass_health(hooks, grads, self.ids, _ordinary),
            grads={node_id: self.numbers(g) for node_id, g in grads.items()},
            grad_after={self.ids[fn]: self.numbers(g) for fn, g in hooks.leaf_grads.items()},
            sent={
                self.ids[fn]: [
                    self.listed(g)
                    for (child, _), g in zip(fn.next_functions, sent, strict=True)
                    if child is not None
                ]
                for fn, sent in hooks.grad_inputs.items()
            },
            chain={
                self.ids[fn]: [
                    ChainLink(self.ids[child], _real_list(jacobian))
                    for (child, _), jacobian in zip(fn.next_functions, jacobians, strict=True)
                    if child is not None
                ]
                for fn, jacobians in hooks.jacobians.items()
                if jacobians and chain
            },
        )


def build_record(
    recorder: Captured, prints: list[str], source: str | None, first_nonfinite: Origin | None = None
) -> GraphRecord:
    builder = _Builder(recorder, source)
    roots = recorder.roots()
    origins = [
        next(
            ((hooks, i) for hooks in recorder.passes for i, root in enumerate(hooks.roots) if root is tensor),
            None,
        )
        for tensor in roots
    ]
    fns = [
        tensor.grad_fn if origin is None else origin[0].root_fns[origin[1]]
        for tensor, origin in zip(roots, origins, strict=True)
    ]
    builder.add_graph(fns)
    outputs: dict[int, str] = {}
    for tensor, origin, fn in zip(roots, origins, fns, strict=True):
        value = tensor.detach() if origin is None else origin[0].root_values[origin[1]]
        outputs[id(tensor)] = builder.output_node(tensor, value, fn)
    builder.add_unreached_leaves()
    builder.add_constants()
    builder.name_leaves_apart()
    titles = pass_titles(source, recorder.passes)
    # A program that made more passes than were kept keeps its first pass's
    # Jacobians only (graphs.worker.chain.LONG_PROGRAM_PASSES_WITH_JACOBIANS).
    long = len(recorder.losses) > len(recorder.passes)
    passes = [
        builder.pass_record(
            hooks, outputs, title, chain=not long or hooks.index < LONG_PROGRAM_PASSES_WITH_JACOBIANS
        )
        for hooks, title in zip(recorder.passes, titles, strict=True)
    ]
    record = GraphRecord(
        nodes=builder.nodes,
        edges=builder.edges,
        passes=passes,
        prints=prints,
        source=source,
        losses=list(recorder.losses),
        steps=recorder.steps.events(),
        step_count=recorder.steps.count,
        final_grads=builder.final_grads,
        no_grad_edges=builder.no_grad_edges,
        modules=builder.module_calls(),
    )
    nonfinite = origin_finding(first_nonfinite, builder.ids, builder.sites.span, len(recorder.losses))
    record.findings = diagnose(record, nonfinite)
    return record
