"""Module folding: the grad_fn graph drawn by module, a collapsed module as one box.

A real model's backward graph has hundreds or thousands of nodes; its
modules are the structure its author thinks in. Every op knows the module
call that made it (`Node.module`, `Node.call`, `GraphRecord.modules`), so
the calls form a tree (`graphs.views.module_tree`) and a view of the graph is
a choice of which calls are *expanded* (drawn as a cluster of their
contents) and which collapsed (one box). The choice is a set of module keys
(`encoder.layers.3`, `cell@499` for the 500th call of `cell`), small enough
for a share link.

Repeated blocks fold further: consecutive sibling calls of the same class
and the same op structure that feed one another (a transformer's layers, an
RNN cell's steps, identical residual blocks) are a *run*
(`graphs.views.repeats`), drawn as one box marked ×N while none of them is
expanded. Expanding one member splits the run around it, so expanding every
key gives back the unfolded graph exactly. Ops the parent made only for one
member (an RNN's `x[t]`) fold with that member, and a leaf is drawn where all
its users meet (the lowest common module call), so an RNN's shared weights
are drawn once, next to the ×N box, with one edge into it.

The iterations of the program's own loops are calls too (graphs.record.loops:
`loop@L12@37` is the 38th iteration of the loop on line 12), so a plain
`for t in range(400)` RNN folds into one ×N box like an RNN cell's calls,
nested loops nest, and modules called in an iteration sit inside it.

What a box says of the tensors through it is `graphs.views.box_stats`.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field, replace

from graphs.record.loops import is_loop, loop_line
from graphs.record.model import GraphRecord
from graphs.views.module_tree import ModuleTree, key_of

__all__ = [
    "BOX_PREFIX",
    "CLUSTER_PREFIX",
    "KEY",
    "MAX_BOXES",
    "UNFOLDED",
    "Box",
    "Cluster",
    "FoldedView",
    "all_keys",
    "first_view",
    "fold",
    "key_of",
    "view",
]

MAX_BOXES = 150  # the first view shows at most this many boxes (nodes + collapsed modules)
BOX_PREFIX = "m"  # a collapsed module's id: "m<index of its first call>"
CLUSTER_PREFIX = "cluster_m"  # an expanded module's cluster (Graphviz wants the "cluster" prefix)
# The folding state of the plain graph, whatever its size: every node, no module drawn.
UNFOLDED = frozenset({"*"})
# What `key_of` makes (a share link or the command line names modules so):
# a module path or a loop's (`loop@L12`), `@n` from its second call or iteration.
KEY = re.compile(r"[\w.]+(@L\d+)?(@\d+)?")


@dataclass(frozen=True)
class Box:
    """A collapsed module call, or a run of N repeated ones drawn as one box."""

    id: str
    members: tuple[int, ...]  # indices in `record.modules`, in call order
    title: str  # `encoder.layers.0 … encoder.layers.4` or `cell`
    kind: str  # the module class
    expand: str  # the key a click expands: the last member
    inputs: tuple[str, ...]  # node ids outside the box whose values it reads
    outputs: tuple[str, ...]  # node ids inside it whose values are read outside

    @property
    def count(self) -> int:
        return len(self.members)


@dataclass(frozen=True)
class Cluster:
    """An expanded module call: a Graphviz cluster labelled with its path."""

    id: str
    key: str
    label: str
    parent: str | None  # the enclosing cluster's id


@dataclass(frozen=True)
class FoldedView:
    """What one folding state draws: visible nodes, boxes, clusters, edges."""

    nodes: tuple[str, ...]  # record node ids, in record order
    boxes: tuple[Box, ...]
    clusters: tuple[Cluster, ...]
    edges: tuple[tuple[str, str], ...]  # src -> dst as in the record (backward direction)
    placed: dict[str, str] = field(default_factory=dict)  # node or box id -> its cluster's id
    hidden: dict[str, str] = field(default_factory=dict)  # node id -> the box it is folded into

    @property
    def size(self) -> int:
        """Boxes on the screen: nodes and collapsed modules."""
        return len(self.nodes) + len(self.boxes)

    def box(self, box_id: str) -> Box | None:
        return next((box for box in self.boxes if box.id == box_id), None)

    def cluster(self, cluster_id: str) -> Cluster | None:
        return next((cluster for cluster in self.clusters if cluster.id == cluster_id), None)


def fold(record: GraphRecord, expanded: frozenset[str], shown: set[str] | None = None) -> FoldedView:
    """The view of `record` with the module calls named in `expanded` open."""
    return _view(ModuleTree(record, shown), expanded)


def view(
    record: GraphRecord, expanded: frozenset[str] | None, shown: set[str] | None = None
) -> tuple[FoldedView, frozenset[str]]:
    """`fold` with `expanded`, or with the first view's keys when it is None,
    and the keys it used (one module tree for both)."""
    tree = ModuleTree(record, shown)
    keys = _first_view(tree) if expanded is None else expanded
    return _view(tree, keys), keys


def first_view(record: GraphRecord, shown: set[str] | None = None, limit: int = MAX_BOXES) -> frozenset[str]:
    """The keys expanded in a large graph's first view: expand from the top,
    breadth first, each call (or the last member of a run) whose contents
    still fit in `limit` boxes; what does not fit stays one box."""
    return _first_view(ModuleTree(record, shown), limit)


def all_keys(record: GraphRecord, shown: set[str] | None = None) -> frozenset[str]:
    """Every module call's key: this state draws the unfolded graph."""
    return ModuleTree(record, shown).all_keys()


def _first_view(tree: ModuleTree, limit: int = MAX_BOXES) -> frozenset[str]:
    expanded: set[str] = set()
    count = len(tree.owned.get(None, ())) + len(tree.units(None, frozenset()))
    queue: deque[int] = deque()

    def enqueue(parent: int | None) -> None:
        queue.extend(unit[-1] for unit in tree.units(parent, frozenset()))

    enqueue(None)
    while queue:
        index = queue.popleft()
        # The contents take the box's place; a run keeps its box for the other members.
        grows = len(tree.owned.get(index, ())) + len(tree.units(index, frozenset()))
        grows -= index not in tree.run_of
        if count + grows <= limit:
            expanded.add(tree.keys[index])
            count += grows
            enqueue(index)
    return frozenset(expanded)


@dataclass
class _Walk:
    """What walking the calls from the top found: the boxes and clusters drawn,
    the box standing for each hidden call, and the cluster each is drawn in."""

    boxes: list[Box] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)
    placed: dict[str, str] = field(default_factory=dict)  # box or node id -> its cluster's id
    standing_for: dict[int, str] = field(default_factory=dict)  # a hidden call -> its box's id
    cluster_of: dict[int | None, str | None] = field(default_factory=lambda: {None: None})


def _view(tree: ModuleTree, expanded: frozenset[str]) -> FoldedView:
    """The calls walked from the top (`_walk`), then each node drawn as itself
    or as the box it is folded into, and the edges between what is drawn."""
    walk = _walk(tree, expanded)
    reps = {node_id: _drawn_as(tree, walk, node_id) for node_id in tree.node_ids}
    nodes = tuple(node_id for node_id in tree.node_ids if reps[node_id] == node_id)
    for node_id in nodes:
        home = _home(tree, node_id)
        if walk.cluster_of.get(home) is not None:
            walk.placed[node_id] = walk.cluster_of[home]
    edges, boxes = _edges(tree, reps, walk.boxes)
    hidden = {node_id: box_id for node_id, box_id in reps.items() if box_id != node_id}
    return FoldedView(nodes, boxes, tuple(walk.clusters), edges, walk.placed, hidden)


def _walk(tree: ModuleTree, expanded: frozenset[str]) -> _Walk:
    """Breadth first from the top: an expanded call is a cluster whose children
    are walked in turn, any other unit a box standing for its whole subtree."""
    walk = _Walk()
    queue: deque[int | None] = deque([None])
    while queue:
        parent = queue.popleft()
        for unit in tree.units(parent, expanded):
            first = unit[0]
            if len(unit) == 1 and tree.keys[first] in expanded:
                cluster_id = f"{CLUSTER_PREFIX}{first}"
                label = _call_label(tree, first)
                walk.clusters.append(Cluster(cluster_id, tree.keys[first], label, walk.cluster_of[parent]))
                walk.cluster_of[first] = cluster_id
                queue.append(first)
                continue
            box_id = f"{BOX_PREFIX}{first}"
            for member in unit:
                walk.standing_for.update(dict.fromkeys(tree.subtree(member), box_id))
            title = _unit_title(tree, unit)
            kind = _loop_kind(tree, unit) if is_loop(tree.calls[first]) else tree.calls[first].kind
            walk.boxes.append(Box(box_id, unit, title, kind, tree.keys[unit[-1]], (), ()))
            if walk.cluster_of[parent] is not None:
                walk.placed[box_id] = walk.cluster_of[parent]
    return walk


def _drawn_as(tree: ModuleTree, walk: _Walk, node_id: str) -> str:
    """The node itself, or the box its owner is hidden in."""
    owner = tree.owner[node_id]
    return node_id if owner is None or owner not in walk.standing_for else walk.standing_for[owner]


def _edges(
    tree: ModuleTree, reps: dict[str, str], found: list[Box]
) -> tuple[tuple[tuple[str, str], ...], tuple[Box, ...]]:
    """The edges between what is drawn (an edge of two drawn nodes as the record
    has it, repeats included; one edge per pair where a box stands in) and the
    boxes with the nodes they read (inputs) and are read from (outputs)."""
    edges: list[tuple[str, str]] = []
    folded: dict[tuple[str, str], None] = {}
    inputs: dict[str, dict[str, None]] = {box.id: {} for box in found}
    outputs: dict[str, dict[str, None]] = {box.id: {} for box in found}
    for src, dst in tree.edges:
        a, b = reps[src], reps[dst]
        if a == src and b == dst:
            edges.append((src, dst))
            continue
        if a == b:
            continue
        if a in inputs:
            inputs[a].setdefault(dst, None)
        if b in outputs:
            outputs[b].setdefault(dst, None)
        if (a, b) not in folded:
            folded[(a, b)] = None
            edges.append((a, b))
    boxes = tuple(replace(box, inputs=tuple(inputs[box.id]), outputs=tuple(outputs[box.id])) for box in found)
    return tuple(edges), boxes


def _home(tree: ModuleTree, node_id: str) -> int | None:
    """The cluster a drawn node sits in: the call that made it (a leaf: its owner)."""
    return tree.made_in[node_id] if tree.kinds[node_id] == "op" else tree.owner[node_id]


def _repeated(tree: ModuleTree, index: int) -> bool:
    """Whether the call's module ran more than once (its label then names the call)."""
    return tree.calls[index].path in tree.repeated_paths


def _call_label(tree: ModuleTree, index: int) -> str:
    call = tree.calls[index]
    if is_loop(call):
        return f"{_loop_header(tree, index)}: {_loop_kind(tree, (index,))}"
    suffix = f" (call {call.call})" if _repeated(tree, index) else ""
    return f"{call.path}{suffix}: {call.kind}"


# A loop's box quotes at most this much of its statement's first line.
_HEADER_CHARS = 40


def _loop_header(tree: ModuleTree, index: int) -> str:
    """The loop statement as the program wrote it (`for t in range(400)`), or its path."""
    call, line = tree.calls[index], loop_line(tree.calls[index])
    text = tree.lines[line - 1].strip().removesuffix(":") if line and line <= len(tree.lines) else ""
    if not text.startswith(("for ", "while ", "while(")):
        return call.path  # no text, or a loop written on one line with its body
    return text if len(text) <= _HEADER_CHARS else text[: _HEADER_CHARS - 1] + "…"


def _loop_kind(tree: ModuleTree, unit: tuple[int, ...]) -> str:
    """What a loop's box says in the place of a module's class: `for loop, line 12: iterations 0–398`."""
    numbers = _stretches([tree.iteration(index) for index in unit])
    words = "iteration" if len(unit) == 1 else "iterations"
    return f"{tree.calls[unit[0]].kind}, line {loop_line(tree.calls[unit[0]])}: {words} {numbers}"


def _stretches(numbers: list[int], most: int = 3) -> str:
    """Iteration numbers as stretches, `0–2, 1997–1998`: a long loop keeps only some
    of its passes (graphs.worker.loops, graphs.worker.spread), and `0–1998` would
    claim them all."""
    found: list[list[int]] = []
    for number in numbers:
        if found and number == found[-1][1] + 1:
            found[-1][1] = number
        else:
            found.append([number, number])
    texts = [f"{low}" if low == high else f"{low}–{high}" for low, high in found]
    return ", ".join(texts if len(texts) <= most else [*texts[: most - 1], "…", texts[-1]])


def _unit_title(tree: ModuleTree, unit: tuple[int, ...]) -> str:
    first, last = tree.calls[unit[0]], tree.calls[unit[-1]]
    if is_loop(first):
        return _loop_header(tree, unit[0])
    if len(unit) == 1:
        return first.path + (f" (call {first.call})" if _repeated(tree, unit[0]) else "")
    if first.path == last.path:
        return f"{first.path} (calls {first.call}–{last.call})"
    return f"{first.path} … {last.path}"
