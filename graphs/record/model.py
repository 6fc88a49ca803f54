"""The captured graph record: the one data model every other part reads.

A record is plain data (dataclasses of lists, dicts, strings and numbers) so
it can be cached, sent between processes, and written as JSON without torch.
A tensor's numbers (`graphs.record.numbers.Numbers`: a node's value, a
gradient, a `.grad`) are listed for small tensors and summarised (min, mean,
max) for large ones, in one field, so a record of a big model stays small
and no reader has to choose between two fields.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal

from graphs.record.codec import from_plain, to_plain
from graphs.record.numbers import Nested, Numbers, Summary, listed  # noqa: F401 (read through the model too)
from graphs.record.packing import Packer

NodeKind = Literal["op", "leaf", "output"]


@dataclass
class Node:
    """One box in the figure: a grad_fn op, a leaf tensor, or an output tensor.

    `value` is the op's forward output (or the leaf / output tensor itself).
    A node holds only what does not change between backward passes: its
    gradients, step numbers and `.grad` belong to each `Pass` (read them
    through `graphs.views.passes`), so no view can mix two passes by accident.
    """

    id: str
    kind: NodeKind
    op: str | None
    name: str | None
    shape: list[int]
    dtype: str
    value: Numbers = None
    attrs: dict[str, str] = field(default_factory=dict)
    requires_grad: bool = True
    # Where the program made the op (its innermost frame of the program's own code).
    line: int | None = None
    # The innermost nn.Module whose forward made the op, by its `named_modules()`
    # path under the program's name for it (`encoder.layers.3.self_attn`), and
    # which call of that module it was, from 0 (an RNN cell runs once a step).
    # None outside any module, and for leaves and outputs.
    module: str | None = None
    call: int | None = None


@dataclass
class ModuleCall:
    """One call of a module's forward that made ops of the graph (or ran
    such a call inside it), or one iteration of a loop of the program
    (graphs.record.loops: path `loop@L12`, kind `for loop`, call the
    iteration): what folding groups the graph by. `parent` is the index in
    `GraphRecord.modules` of the call it ran inside, None at the top."""

    path: str
    call: int
    kind: str  # the module's class name, or a loop's kind
    parent: int | None = None


@dataclass
class Edge:
    """An edge in the direction the backward pass travels: from `src` (nearer
    the output) to `dst` (nearer the leaves)."""

    src: str
    dst: str


@dataclass
class NoGradEdge:
    """An edge no gradient travels, drawn apart from the grad_fn graph's own.

    `"constant"`: from an op to an input that does not require grad (a
    constant, an input, a detached tensor: a leaf with `requires_grad`
    False). `"detach"` / `"no_grad"`: from such a tensor to the node it was
    computed from by `detach()` or under `torch.no_grad()`, where the
    program cut the gradient's way back."""

    src: str
    dst: str
    kind: Literal["constant", "detach", "no_grad"]


# A Jacobian is kept only when both sides have at most this many elements.
JACOBIAN_LIMIT = 64


@dataclass
class ChainLink:
    """The chain rule along one edge of one pass: `jacobian` is d(op output)/d(input),
    out_numel rows by in_numel columns, so what the op sent along the edge is
    `jacobian.T @ grads[op]` (flattened). None when that input got no gradient
    or either side has more than 64 elements. Only a program's first six
    passes have them (`graphs.worker.chain.PASSES_WITH_JACOBIANS`), and only the
    first of a program that made more passes than it kept (a training loop)."""

    input: str
    jacobian: Nested


@dataclass
class Pass:
    """One call of `.backward()` or `torch.autograd.grad()`: the only home of
    gradients, step numbers and `.grad` values.

    `grads[node]` is the gradient this pass computed at the node (for an
    output, the seed it started from; for a leaf, what this pass sent into
    it: its contribution). `grad_after[leaf]` is the leaf's `.grad` right
    after the pass, as `print(w.grad)` shows it (None where torch left it
    None, as `autograd.grad` does). `sent[op]` is what the op sent along each
    of its edges, in the record's edge order (None: nothing, or too large to
    keep).
    """

    index: int
    kind: Literal["backward", "grad"]
    roots: list[str]
    line: int | None = None
    title: str = ""
    create_graph: bool = False
    retain_graph: bool = False
    seed: Nested = None
    order: dict[str, int] = field(default_factory=dict)
    grads: dict[str, Numbers] = field(default_factory=dict)
    grad_after: dict[str, Numbers] = field(default_factory=dict)
    sent: dict[str, list[Nested]] = field(default_factory=dict)
    chain: dict[str, list[ChainLink]] = field(default_factory=dict)
    # Each node's gradient norm in this pass (however large the gradient), and
    # each ReLU node's dead units: what graphs.views.diagnosis reads.
    norms: dict[str, float] = field(default_factory=dict)
    relu: dict[str, ReluUnits] = field(default_factory=dict)


@dataclass
class Loss:
    """One pass of the program, kept in full or not: its root's value when
    that is a single number (a training loop's loss), else None."""

    index: int
    line: int | None
    value: float | None


@dataclass
class ParamChange:
    """How one parameter moved in an optimizer step: before and after in full
    when small, and always the size (2-norm) of the change."""

    name: str | None
    shape: list[int]
    change_norm: float
    before: Nested = None
    after: Nested = None


@dataclass
class OptimizerStep:
    """One `optimizer.step()`: the rule it applied and what it changed.

    `rule` is the update written out for plain SGD (`w ← w − 0.1·grad`),
    otherwise the optimizer's class and settings (`Adam(lr=0.01, betas=...)`).
    `after_pass` is the index of the last backward pass before the step.
    """

    index: int
    line: int | None
    optimizer: str
    rule: str
    after_pass: int | None
    changes: list[ParamChange] = field(default_factory=list)


# What the diagnosis finds (graphs.views.diagnosis), by kind.
FindingKind = Literal["nan", "inf", "vanishing", "exploding", "dead_relu"]


@dataclass
class Operand:
    """A value that went into the op where a NaN or Inf first appeared: an
    input or the output of a forward op (`input 1`, `output`), or a backward
    node's `gradient in`, forward `value` and `gradient sent`."""

    role: str
    shape: list[int]
    value: Numbers = None


@dataclass
class ReluUnits:
    """One ReLU node in one pass: its units (along dim 1), how many got no
    gradient for the whole batch (dim 0), and that batch's size."""

    units: int
    dead: int
    batch: int


@dataclass
class Finding:
    """Why a network may not learn, pointed at its node and line: where a
    value or a gradient first became NaN or Inf (`stage`), with the
    `operands` that went in; the first layer of a pass whose gradient
    vanished or exploded (its `norm` against the output layer's,
    `reference`); a ReLU with `dead` of its `units` for a `batch`.
    `pass_index` counts every pass (`Pass.index`); a forward finding's is
    the pass its values went on to."""

    kind: FindingKind
    stage: Literal["forward", "backward"]
    line: int | None = None
    op: str | None = None
    node: str | None = None
    pass_index: int | None = None
    operands: list[Operand] = field(default_factory=list)
    norm: float | None = None
    reference: float | None = None
    units: int | None = None
    dead: int | None = None
    batch: int | None = None


@dataclass
class GraphRecord:
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    # The passes kept in full: all of them, or the first and last few of a
    # long program and a log-spaced spread between them (`Pass.index` counts
    # every pass; `losses` has them all).
    passes: list[Pass] = field(default_factory=list)
    prints: list[str] = field(default_factory=list)
    source: str | None = None
    # Warnings torch raised while the program ran ("line 7: Using a target
    # size ... different to the input size"): often the student's real bug.
    warnings: list[str] = field(default_factory=list)
    losses: list[Loss] = field(default_factory=list)
    # Optimizer steps kept in full (those next to kept passes), and how many there were.
    steps: list[OptimizerStep] = field(default_factory=list)
    step_count: int = 0
    # Each leaf's `.grad` when the program ended (None: never set), which a
    # `zero_()` after the last pass makes differ from that pass's `grad_after`.
    final_grads: dict[str, Numbers] = field(default_factory=dict)
    # A failing program's record holds the graph up to the failing line and its error.
    error: str | None = None
    no_grad_edges: list[NoGradEdge] = field(default_factory=list)
    # The module calls the nodes' `module`/`call` name, in the order they ran.
    modules: list[ModuleCall] = field(default_factory=list)
    # Why it may not learn (graphs.views.diagnosis), in the order it happened.
    findings: list[Finding] = field(default_factory=list)

    @property
    def long(self) -> bool:
        """True when some passes were kept only as a loss."""
        return len(self.losses) > len(self.passes)

    def shown_nodes(self, pass_index: int | None) -> set[str] | None:
        """The node ids a figure of pass `pass_index` (a position in `passes`,
        None for the last) draws, or None for all of them.

        Passes over one graph (higher-order gradients, `retain_graph`) are
        drawn together. Passes over graphs of their own, sharing only leaves
        (a training loop), are drawn one at a time: the chosen one, by
        default the last; a negative index (the "All passes" view) draws all.
        """
        if len(self.passes) < 2 or pass_index is not None and not 0 <= pass_index < len(self.passes):
            return None  # one pass, or "All passes" (graphs.views.passes.ALL_PASSES)
        children: dict[str, list[str]] = {}
        for edge in self.edges:
            children.setdefault(edge.src, []).append(edge.dst)
        chosen = self.passes[-1 if pass_index is None else pass_index]
        reach = _reachable(chosen.roots, children)
        # One walk from every other pass's roots together, not one per pass:
        # linear in the record however many passes it holds.
        other_roots = [root for run in self.passes if run is not chosen for root in run.roots]
        others = _reachable(other_roots, children)
        kinds = {node.id: node.kind for node in self.nodes}
        if any(kinds.get(node_id) == "op" for node_id in reach & others):
            return None
        return _with_constants(reach, self.no_grad_edges)

    def node(self, node_id: str) -> Node:
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def named(self, name: str) -> Node:
        """The node a program named `name` (an op's output or a leaf)."""
        for node in self.nodes:
            if node.name == name and node.kind != "output":
                return node
        raise KeyError(name)

    def to_dict(self) -> dict:
        """The record as plain data, like `dataclasses.asdict` but without
        deep-copying tensor contents number by number (that copy cost a
        2,000-step loop's record 12x its build): the nested lists of values
        and gradients are shared with the record, every container above
        them is new."""
        return to_plain(self, GraphRecord)

    def to_json(self) -> str:
        """The record as compact JSON. Never indented: indenting writes every
        entry of a deeply nested tensor on a line of its own behind up to 128
        spaces, which turned a few MB of record into gigabytes."""
        return json.dumps(self.to_dict(), separators=(",", ":"))

    def to_wire(self) -> dict:
        """What a worker sends the server: `to_dict()` with each listed tensor
        value packed into one string of its bytes, a repeated one as a
        reference (`graphs.record.packing.Packer`), unpacked exactly by the server's
        gate (`graphs.record.decode.record`). gpt2_small's record: 5.1 MB of JSON
        numbers, 0.7 MB packed, read and checked in a third of the time."""
        return to_plain(self, GraphRecord, Packer())

    @classmethod
    def from_dict(cls, data: dict) -> GraphRecord:
        """Rebuild a record from `to_dict()` data, checking every field's type:
        a record may come from a worker or a file, and a mistyped one must be
        one clear error here, not a crash somewhere in the page."""
        return from_plain(cls, data, "record")


def _reachable(roots: list[str], children: dict[str, list[str]]) -> set[str]:
    found, stack = set(), list(roots)
    while stack:
        node_id = stack.pop()
        if node_id not in found:
            found.add(node_id)
            stack.extend(children.get(node_id, ()))
    return found


def _with_constants(shown: set[str], no_grad_edges: list[NoGradEdge]) -> set[str]:
    """`shown` with the constants its ops took in, and the node each cut one
    was computed from (not that node's own graph: it may be another pass's)."""
    constants = {edge.dst for edge in no_grad_edges if edge.src in shown}
    return shown | constants | {edge.dst for edge in no_grad_edges if edge.src in constants}
