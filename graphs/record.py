"""The captured graph record: the one data model every other part reads.

A record is plain data (dataclasses of lists, dicts, strings and numbers) so
it can be cached, sent between processes, and written as JSON without torch.
Tensor contents are stored as nested lists for small tensors, and as a
summary (shape, min, mean, max) for large ones, so a record of a big model
stays small.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

NodeKind = Literal["op", "leaf", "output"]

# A tensor's contents: a number, a nested list of numbers, or None when unknown.
Nested = Any


@dataclass
class Summary:
    """Statistics shown in place of a tensor too large to print in a node."""

    min: float
    mean: float
    max: float


@dataclass
class Node:
    """One box in the figure: a grad_fn op, a leaf tensor, or an output tensor.

    `value` is the op's forward output (or the leaf / output tensor itself);
    `grad` is the gradient of the backward root with respect to that value in
    the last pass that reached the node (for leaves: `.grad` at the end of the
    program, or the last pass's gradient when `.grad` was never filled, as with
    `torch.autograd.grad`).
    `grad_inputs` are what the node sent to each child; an entry is None when
    no gradient flowed there, or when it had more than 256 entries and was not
    kept (holding large ones slows the backward pass).
    """

    id: str
    kind: NodeKind
    op: str | None
    name: str | None
    shape: list[int]
    dtype: str
    value: Nested = None
    grad: Nested = None
    value_summary: Summary | None = None
    grad_summary: Summary | None = None
    order: int | None = None
    grad_inputs: list[Nested] = field(default_factory=list)
    attrs: dict[str, str] = field(default_factory=dict)
    requires_grad: bool = True


@dataclass
class Edge:
    """An edge in the direction the backward pass travels: from `src` (nearer
    the output) to `dst` (nearer the leaves)."""

    src: str
    dst: str


@dataclass
class Pass:
    """One call of `.backward()` or `torch.autograd.grad()`.

    Each pass keeps its own gradients and execution order, so gradient
    accumulation and higher-order gradients stay visible pass by pass.
    """

    index: int
    kind: Literal["backward", "grad"]
    roots: list[str]
    line: int | None = None
    create_graph: bool = False
    retain_graph: bool = False
    order: dict[str, int] = field(default_factory=dict)
    grads: dict[str, Nested] = field(default_factory=dict)
    leaf_grads: dict[str, Nested] = field(default_factory=dict)

    def gradient(self, node_id: str) -> Nested:
        """What this pass sent into the node, or a leaf's `.grad` after the
        pass when the pass's own gradient was not kept (too large to list)."""
        return self.grads.get(node_id, self.leaf_grads.get(node_id))


@dataclass
class GraphRecord:
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    passes: list[Pass] = field(default_factory=list)
    prints: list[str] = field(default_factory=list)
    source: str | None = None
    # Warnings torch raised while the program ran ("line 7: Using a target
    # size ... different to the input size"): often the student's real bug.
    warnings: list[str] = field(default_factory=list)

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
        return asdict(self)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, data: dict) -> GraphRecord:
        def summary(raw):
            return Summary(**raw) if raw else None

        nodes = [
            Node(**{**raw, "value_summary": summary(raw.get("value_summary")),
                    "grad_summary": summary(raw.get("grad_summary"))})
            for raw in data["nodes"]
        ]
        return cls(
            nodes=nodes,
            edges=[Edge(**raw) for raw in data["edges"]],
            passes=[Pass(**raw) for raw in data["passes"]],
            prints=list(data.get("prints", [])),
            source=data.get("source"),
            warnings=list(data.get("warnings", [])),
        )
