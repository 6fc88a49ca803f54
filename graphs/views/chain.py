"""The chain rule at a node, read from a record: what the inspector teaches.

For an op in one pass: the incoming gradient dL/d(out), the op's local
derivative for each input (a formula for the common ops, and the actual
Jacobian the pass recorded), and each outgoing gradient computed as
Jacobianᵀ · incoming, checked against what autograd really sent. For any
node fed by several edges (a weight used twice, `b = a + a`): each partial
gradient that arrived, and their sum, which is the node's gradient.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from graphs.record.model import JACOBIAN_LIMIT, GraphRecord, Nested, Pass, listed

# The op's forward rule and its local derivative per input, in LaTeX. Names
# are torch's grad_fn classes without "Backward<n>"; inputs are named x, y in
# the order of the node's edges.
FORMULAS: dict[str, tuple[str, list[str]]] = {
    "Add": (r"z = x + \alpha y", [r"\partial z/\partial x = 1", r"\partial z/\partial y = \alpha"]),
    "Sub": (r"z = x - \alpha y", [r"\partial z/\partial x = 1", r"\partial z/\partial y = -\alpha"]),
    "Mul": (r"z = x \cdot y", [r"\partial z/\partial x = y", r"\partial z/\partial y = x"]),
    "Div": (r"z = x / y", [r"\partial z/\partial x = 1/y", r"\partial z/\partial y = -x/y^2"]),
    "Pow": (r"z = x^{p}", [r"\partial z/\partial x = p\,x^{p-1}", r"\partial z/\partial p = x^{p}\ln x"]),
    "Exp": (r"z = e^{x}", [r"\partial z/\partial x = e^{x} = z"]),
    "Log": (r"z = \ln x", [r"\partial z/\partial x = 1/x"]),
    "Sigmoid": (r"z = \sigma(x) = 1/(1+e^{-x})", [r"\partial z/\partial x = \sigma(x)\,(1-\sigma(x))"]),
    "Tanh": (r"z = \tanh x", [r"\partial z/\partial x = 1 - \tanh^2 x"]),
    "Relu": (r"z = \max(x, 0)", [r"\partial z/\partial x = [x > 0]"]),
    "Softmax": (r"s_i = e^{x_i} / \sum_k e^{x_k}", [r"\partial s_i/\partial x_j = s_i(\delta_{ij} - s_j)"]),
    "LogSoftmax": (r"z_i = x_i - \ln\sum_k e^{x_k}", [r"\partial z_i/\partial x_j = \delta_{ij} - s_j"]),
    "Mm": (r"Z = X W", [r"\partial L/\partial X = G\,W^{\top}", r"\partial L/\partial W = X^{\top} G"]),
    "Mv": (r"z = X w", [r"\partial L/\partial X = g\,w^{\top}", r"\partial L/\partial w = X^{\top} g"]),
    "Bmm": (
        r"Z_b = X_b W_b",
        [r"\partial L/\partial X_b = G_b W_b^{\top}", r"\partial L/\partial W_b = X_b^{\top} G_b"],
    ),
    "Addmm": (
        r"Z = b + X W",
        [
            r"\partial L/\partial b = \textstyle\sum_{\text{rows}} G",
            r"\partial L/\partial X = G\,W^{\top}",
            r"\partial L/\partial W = X^{\top} G",
        ],
    ),
    "Sum": (r"z = \sum_i x_i", [r"\partial z/\partial x_i = 1"]),
    "Mean": (r"z = \frac{1}{n}\sum_i x_i", [r"\partial z/\partial x_i = 1/n"]),
    "Neg": (r"z = -x", [r"\partial z/\partial x = -1"]),
    "T": (r"Z = X^{\top}", [r"\partial L/\partial X = G^{\top}"]),
    "Transpose": (r"Z = X^{\top}", [r"\partial L/\partial X = G^{\top}"]),
    "Permute": (r"Z = \text{permute}(X)", [r"\partial L/\partial X = \text{inverse permute}(G)"]),
    "View": (r"Z = \text{reshape}(X)", [r"\partial L/\partial X = \text{reshape}(G)\ \text{(same entries)}"]),
    "Reshape": (r"Z = \text{reshape}(X)", [r"\partial L/\partial X = \text{reshape}(G)"]),
    "UnsafeView": (r"Z = \text{reshape}(X)", [r"\partial L/\partial X = \text{reshape}(G)"]),
    "Expand": (
        r"Z = \text{broadcast}(X)",
        [r"\partial L/\partial X = \text{sum of } G \text{ over the copies}"],
    ),
    "Index": (r"z = x[\text{idx}]", [r"\partial z_k/\partial x_j = [j = \text{idx}_k]"]),
    "Select": (r"z = x[i]", [r"\partial z/\partial x_j = [j = i]"]),
    "Slice": (r"z = x[a:b]", [r"\partial z_k/\partial x_j = [j = a + k]"]),
    "Cat": (
        r"z = [x; y]",
        [r"\partial z/\partial x = [I\ 0]^{\top}", r"\partial z/\partial y = [0\ I]^{\top}"],
    ),
    "Sqrt": (r"z = \sqrt{x}", [r"\partial z/\partial x = 1/(2\sqrt{x})"]),
}
TOLERANCE = 1e-5  # relative, between Jᵀ·incoming and what autograd sent (float32 sums)


def op_family(op: str | None) -> str:
    """`MulBackward0` -> `Mul` (the key of `FORMULAS`)."""
    return re.sub(r"Backward\d*$", "", op or "")


@dataclass(frozen=True)
class EdgeRule:
    """One input edge of an op in one pass."""

    input: str
    formula: str | None  # LaTeX of the local derivative, when known
    jacobian: Nested  # out_numel x in_numel, or None
    computed: Nested  # Jᵀ · incoming, shaped like what autograd sent
    sent: Nested  # what autograd sent along the edge
    agrees: bool | None  # None: nothing to compare


@dataclass(frozen=True)
class Partial:
    """A gradient that arrived at a node along one edge, from `source`."""

    source: str
    grad: Nested


def formula(op: str | None) -> str | None:
    found = FORMULAS.get(op_family(op))
    return None if found is None else found[0]


def edge_rules(record: GraphRecord, run: Pass, node_id: str) -> list[EdgeRule]:
    """The chain rule along each of an op's edges in pass `run` (empty for
    leaves, outputs and ops the pass did not reach)."""
    links = run.chain.get(node_id)
    children = [edge.dst for edge in record.edges if edge.src == node_id]
    sent = run.sent.get(node_id, [])
    incoming = listed(run.grads.get(node_id))
    family = FORMULAS.get(op_family(record.node(node_id).op))
    rules = []
    for position, child in enumerate(children):
        jacobian = links[position].jacobian if links and position < len(links) else None
        went = sent[position] if position < len(sent) else None
        computed, agrees = None, None
        if jacobian is not None and incoming is not None:
            product = np.asarray(jacobian, dtype=float).T @ np.ravel(np.asarray(incoming, dtype=float))
            computed = product.reshape(np.shape(went)).tolist() if went is not None else product.tolist()
            if went is not None:
                agrees = bool(
                    np.allclose(product, np.ravel(np.asarray(went, dtype=float)), rtol=TOLERANCE, atol=1e-7)
                )
        derivative = family[1][position] if family and position < len(family[1]) else None
        rules.append(EdgeRule(child, derivative, jacobian, computed, went, agrees))
    return rules


def partials(record: GraphRecord, run: Pass, node_id: str) -> list[Partial]:
    """What each edge into `node_id` carried in pass `run` (the fan-out lesson:
    several edges in, and the node's gradient is their sum)."""
    found, seen_from = [], {}
    for edge in record.edges:
        position = seen_from.get(edge.src, 0)
        seen_from[edge.src] = position + 1
        if edge.dst != node_id:
            continue
        sent = run.sent.get(edge.src, [])
        if position < len(sent) and sent[position] is not None:
            found.append(Partial(edge.src, sent[position]))
    return found


def full_jacobians(record: GraphRecord, run: Pass) -> dict[str, np.ndarray]:
    """d(root)/d(leaf) for every leaf of the pass, composed from the pass's local
    Jacobians (chain rule over every path, summed where paths meet); empty
    when a Jacobian on the way was not kept (a tensor over 64 entries).

    Nodes are visited in the engine's execution order, so each node's
    Jacobian is complete before it is passed on to its inputs."""
    if len(run.roots) != 1:
        return {}
    root = run.roots[0]
    first = next((edge.dst for edge in record.edges if edge.src == root), None)
    if first is None or first not in run.order:
        return {}
    size = math.prod(record.node(root).shape)
    if size > JACOBIAN_LIMIT:
        return {}
    found: dict[str, np.ndarray] = {first: np.eye(size)}
    kinds = {node.id: node.kind for node in record.nodes}
    children: dict[str, int] = {}
    for edge in record.edges:
        children[edge.src] = children.get(edge.src, 0) + 1
    for node_id in sorted(run.order, key=run.order.get):
        if kinds.get(node_id) != "op" or node_id not in found:
            continue
        links = run.chain.get(node_id)
        if not links or len(links) != children.get(node_id, 0):
            return {}
        for link in links:
            if link.jacobian is None:
                if run.grads.get(link.input) is not None and link.input in run.order:
                    return {}  # a gradient went there, but its Jacobian was not kept
                continue
            jacobian = np.asarray(link.jacobian, dtype=float)
            if jacobian.ndim != 2 or jacobian.shape[0] != found[node_id].shape[1]:
                return {}  # sizes that do not chain: not a record torch made
            found[link.input] = found.get(link.input, 0) + found[node_id] @ jacobian
    return {node_id: matrix for node_id, matrix in found.items() if kinds.get(node_id) == "leaf"}


def revealed_row(run: Pass) -> int | None:
    """The row of the Jacobian a pass revealed: its seed is one-hot (seed 002's trick)."""
    seed = np.ravel(np.asarray(run.seed if run.seed is not None else [], dtype=float))
    if seed.size > 1 and np.count_nonzero(seed) == 1 and seed.max() == 1.0:
        return int(np.argmax(seed))
    return None
