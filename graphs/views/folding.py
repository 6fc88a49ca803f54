"""Module folding: the grad_fn graph drawn by module, a collapsed module as one box.

A real model's backward graph has hundreds or thousands of nodes; its
modules are the structure its author thinks in. Every op knows the module
call that made it (`Node.module`, `Node.call`, `GraphRecord.modules`), so
the calls form a tree and a view of the graph is a choice of which calls are
*expanded* (drawn as a cluster of their contents) and which collapsed (one
box). The choice is a set of module keys (`encoder.layers.3`, `cell@499`
for the 500th call of `cell`), small enough for a share link.

Repeated blocks fold further: consecutive sibling calls of the same class
and the same op structure that feed one another (a transformer's layers, an
RNN cell's steps, identical residual blocks) are a *run*, drawn as one box
marked ×N while none of them is expanded. Expanding one member splits the
run around it, so expanding every key gives back the unfolded graph exactly.
Ops the parent made only for one member (an RNN's `x[t]`) fold with that
member, and a leaf is drawn where all its users meet (the lowest common
module call), so an RNN's shared weights are drawn once, next to the ×N
box, with one edge into it.
"""

from __future__ import annotations

import math
import re
from collections import deque
from dataclasses import dataclass, field, replace

from graphs.record.model import GraphRecord, ModuleCall, Nested, Summary
from graphs.views import format as fmt

MAX_BOXES = 150  # the first view shows at most this many boxes (nodes + collapsed modules)
BOX_PREFIX = "m"  # a collapsed module's id: "m<index of its first call>"
CLUSTER_PREFIX = "cluster_m"  # an expanded module's cluster (Graphviz wants the "cluster" prefix)
# The folding state of the plain graph, whatever its size: every node, no module drawn.
UNFOLDED = frozenset({"*"})
# Rounds of `ModuleTree._owners` at most (a record torch made settles in two or three).
_OWNER_ROUNDS = 16
# What `key_of` makes (a share link or the command line names modules so).
KEY = re.compile(r"[\w.]+(@\d+)?")


def key_of(call: ModuleCall) -> str:
    """The name a module call has in a folding state: its path, with `@n` from its second call."""
    return call.path if call.call == 0 else f"{call.path}@{call.call}"


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


class ModuleTree:
    """The module calls of a record as a tree, with runs and each node's owner.

    `shown` limits it to the nodes one figure draws (`GraphRecord.shown_nodes`).
    """

    def __init__(self, record: GraphRecord, shown: set[str] | None = None) -> None:
        self.calls = record.modules
        self.keys = [key_of(call) for call in self.calls]
        self.repeated_paths = {call.path for call in self.calls if call.call > 0}
        self.node_ids = [node.id for node in record.nodes if shown is None or node.id in shown]
        kept = set(self.node_ids)
        self.edges = [(e.src, e.dst) for e in record.edges if e.src in kept and e.dst in kept]
        self.children: dict[int | None, list[int]] = {None: []}
        for index, call in enumerate(self.calls):
            self.children.setdefault(index, [])
            self.children.setdefault(call.parent, []).append(index)
        index_of = {(call.path, call.call): index for index, call in enumerate(self.calls)}
        by_id = {node.id: node for node in record.nodes}
        self.made_in: dict[str, int | None] = {
            node_id: index_of.get((by_id[node_id].module, by_id[node_id].call)) for node_id in self.node_ids
        }
        self.consumers: dict[str, list[str]] = {node_id: [] for node_id in self.node_ids}
        for src, dst in self.edges:
            self.consumers[dst].append(src)
        for edge in record.no_grad_edges:  # a constant folds away with the ops that read it
            if edge.kind == "constant" and edge.src in kept and edge.dst in kept:
                self.consumers[edge.dst].append(edge.src)
        self.kinds = {node_id: by_id[node_id].kind for node_id in self.node_ids}
        signature = self._signatures(by_id)
        linked = self._linked()
        self.run_of: dict[int, tuple[int, ...]] = {}
        for siblings in self.children.values():
            self._find_runs(siblings, signature, linked)
        self.owner = self._owners()
        owned: dict[int | None, list[str]] = {}
        for node_id in self.node_ids:
            owned.setdefault(self.owner[node_id], []).append(node_id)
        self.owned = owned
        self.populated = self._populated()

    def chain(self, index: int | None) -> list[int]:
        """`index` and the calls it ran inside, innermost first."""
        found = []
        while index is not None:
            found.append(index)
            index = self.calls[index].parent
        return found

    def _signatures(self, by_id) -> list[int]:
        """A number per call, equal for calls of one class that made the same ops
        (op names and shapes) in the same nesting: what makes calls repeats."""
        direct: dict[int, list[tuple]] = {}
        for node_id, index in self.made_in.items():
            if index is not None and self.kinds[node_id] == "op":
                node = by_id[node_id]
                direct.setdefault(index, []).append((node.op, tuple(node.shape)))
        numbers: dict[tuple, int] = {}
        signature = [0] * len(self.calls)
        for index in reversed(range(len(self.calls))):  # children come after their parents
            key = (
                self.calls[index].kind,
                tuple(sorted(direct.get(index, ()))),
                tuple(sorted(signature[child] for child in self.children[index])),
            )
            signature[index] = numbers.setdefault(key, len(numbers))
        return signature

    def _linked(self) -> set[tuple[int, int]]:
        """Pairs of sibling calls with an edge between their contents."""
        linked = set()
        for src, dst in self.edges:
            a, b = self.chain(self.made_in[src]), self.chain(self.made_in[dst])
            if not a or not b:
                continue
            a_set = set(a)
            common = next((i for i in b if i in a_set), None)
            below_a = a[: a.index(common)] if common is not None else a
            below_b = b[: b.index(common)] if common is not None else b
            if below_a and below_b:
                linked.add((below_a[-1], below_b[-1]))
                linked.add((below_b[-1], below_a[-1]))
        return linked

    def _find_runs(self, siblings: list[int], signature: list[int], linked: set) -> None:
        run: list[int] = []
        for index in [*siblings, None]:
            if (
                index is not None
                and run
                and signature[index] == signature[run[-1]]
                and (run[-1], index) in linked
            ):
                run.append(index)
                continue
            if len(run) > 1:
                for member in run:
                    self.run_of[member] = tuple(run)
            run = [] if index is None else [index]

    def _owners(self) -> dict[str, int | None]:
        """The call whose collapse hides each node. An op is owned by the call
        that made it, unless its parent made it only for one member of a run
        (then by that member); a leaf by the lowest call all its users share;
        an output by nobody (always drawn)."""
        owner: dict[str, int | None] = {}
        for node_id in self.node_ids:
            if self.kinds[node_id] == "op":
                owner[node_id] = self.made_in[node_id]
        members = {index: index for index in self.run_of}
        changed, rounds = True, 0
        # Consumers first: a few rounds settle a record torch made. The cap keeps a
        # forged record (a long chain listed producers first) from taking one round per node.
        while changed and rounds < _OWNER_ROUNDS:
            changed, rounds = False, rounds + 1
            for node_id in self.node_ids:
                if self.kinds[node_id] != "op" or not self.consumers[node_id]:
                    continue
                users = {owner.get(user, -1) for user in self.consumers[node_id]}
                if len(users) != 1:
                    continue
                (user,) = users
                if (
                    user in members
                    and user != owner[node_id]
                    and self.calls[user].parent == self.made_in[node_id]
                ):
                    owner[node_id] = user
                    changed = True
        for node_id in self.node_ids:
            kind = self.kinds[node_id]
            if kind == "leaf":
                owner[node_id] = self._meeting([owner.get(user) for user in self.consumers[node_id]])
            elif kind == "output":
                owner[node_id] = None
        return owner

    def _meeting(self, owners: list[int | None]) -> int | None:
        """The lowest call that holds all of `owners` (None: the top)."""
        if not owners:
            return None
        common = self.chain(owners[0])
        for other in owners[1:]:
            if not common:
                return None
            holds = set(self.chain(other))
            common = [index for index in common if index in holds]
        return common[0] if common else None

    def _populated(self) -> set[int]:
        """Calls with at least one drawn node inside (a filtered view may empty some)."""
        found: set[int] = set()
        for owner in self.owned:
            for index in self.chain(owner):
                if index in found:
                    break
                found.add(index)
        return found

    def units(self, parent: int | None, expanded: frozenset[str]) -> list[tuple[int, ...]]:
        """The parent's child calls as drawn: runs split around expanded members,
        each remaining stretch one unit (a box), an expanded call a unit of one."""
        units: list[tuple[int, ...]] = []
        done: set[int] = set()
        for index in self.children.get(parent, ()):
            if index in done or index not in self.populated:
                continue
            run = [member for member in self.run_of.get(index, (index,)) if member in self.populated]
            done.update(run)
            stretch: list[int] = []
            for member in run:
                if self.keys[member] in expanded:
                    if stretch:
                        units.append(tuple(stretch))
                    units.append((member,))
                    stretch = []
                else:
                    stretch.append(member)
            if stretch:
                units.append(tuple(stretch))
        return units

    def all_keys(self) -> frozenset[str]:
        return frozenset(self.keys[index] for index in self.populated)


def fold(record: GraphRecord, expanded: frozenset[str], shown: set[str] | None = None) -> FoldedView:
    """The view of `record` with the module calls named in `expanded` open."""
    tree = ModuleTree(record, shown)
    return _view(tree, expanded)


def _view(tree: ModuleTree, expanded: frozenset[str]) -> FoldedView:
    """Walk the calls from the top: an expanded one is a cluster whose children
    are walked in turn, any other unit a box standing for its whole subtree."""
    rep: dict[int, str] = {}  # a hidden call -> the box that stands for it
    boxes: list[Box] = []
    clusters: list[Cluster] = []
    placed: dict[str, str] = {}
    cluster_of: dict[int | None, str | None] = {None: None}
    queue: deque[int | None] = deque([None])
    while queue:
        parent = queue.popleft()
        for unit in tree.units(parent, expanded):
            first = unit[0]
            if len(unit) == 1 and tree.keys[first] in expanded:
                cluster_id = f"{CLUSTER_PREFIX}{first}"
                clusters.append(
                    Cluster(cluster_id, tree.keys[first], _call_label(tree, first), cluster_of[parent])
                )
                cluster_of[first] = cluster_id
                queue.append(first)
                continue
            box_id = f"{BOX_PREFIX}{first}"
            for member in unit:
                for index in _subtree(tree, member):
                    rep[index] = box_id
            boxes.append(
                Box(
                    box_id, unit, _unit_title(tree, unit), tree.calls[first].kind, tree.keys[unit[-1]], (), ()
                )
            )
            if cluster_of[parent] is not None:
                placed[box_id] = cluster_of[parent]

    def representative(node_id: str) -> str:
        owner = tree.owner[node_id]
        return node_id if owner is None or owner not in rep else rep[owner]

    reps = {node_id: representative(node_id) for node_id in tree.node_ids}
    nodes = tuple(node_id for node_id in tree.node_ids if reps[node_id] == node_id)
    for node_id in nodes:
        home = _home(tree, node_id)
        if cluster_of.get(home) is not None:
            placed[node_id] = cluster_of[home]
    edges: list[tuple[str, str]] = []
    folded: dict[tuple[str, str], None] = {}
    inputs: dict[str, dict[str, None]] = {box.id: {} for box in boxes}
    outputs: dict[str, dict[str, None]] = {box.id: {} for box in boxes}
    for src, dst in tree.edges:
        a, b = reps[src], reps[dst]
        if a == src and b == dst:
            edges.append((src, dst))  # as the record has it, repeats included
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
    boxes = [replace(box, inputs=tuple(inputs[box.id]), outputs=tuple(outputs[box.id])) for box in boxes]
    hidden = {node_id: box_id for node_id, box_id in reps.items() if box_id != node_id}
    return FoldedView(nodes, tuple(boxes), tuple(clusters), tuple(edges), placed, hidden)


def _home(tree: ModuleTree, node_id: str) -> int | None:
    """The cluster a drawn node sits in: the call that made it (a leaf: its owner)."""
    return tree.made_in[node_id] if tree.kinds[node_id] == "op" else tree.owner[node_id]


def _subtree(tree: ModuleTree, index: int) -> list[int]:
    found, stack = [], [index]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(tree.children.get(current, ()))
    return found


def _repeated(tree: ModuleTree, index: int) -> bool:
    """Whether the call's module ran more than once (its label then names the call)."""
    return tree.calls[index].path in tree.repeated_paths


def _call_label(tree: ModuleTree, index: int) -> str:
    call = tree.calls[index]
    suffix = f" (call {call.call})" if _repeated(tree, index) else ""
    return f"{call.path}{suffix}: {call.kind}"


def _unit_title(tree: ModuleTree, unit: tuple[int, ...]) -> str:
    first, last = tree.calls[unit[0]], tree.calls[unit[-1]]
    if len(unit) == 1:
        return first.path + (f" (call {first.call})" if _repeated(tree, unit[0]) else "")
    if first.path == last.path:
        return f"{first.path} (calls {first.call}–{last.call})"
    return f"{first.path} … {last.path}"


def first_view(record: GraphRecord, shown: set[str] | None = None, limit: int = MAX_BOXES) -> frozenset[str]:
    """The keys expanded in a large graph's first view: expand from the top,
    breadth first, each call (or the last member of a run) whose contents
    still fit in `limit` boxes; what does not fit stays one box."""
    return _first_view(ModuleTree(record, shown), limit)


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


def view(
    record: GraphRecord, expanded: frozenset[str] | None, shown: set[str] | None = None
) -> tuple[FoldedView, frozenset[str]]:
    """`fold` with `expanded`, or with the first view's keys when it is None,
    and the keys it used (one module tree for both)."""
    tree = ModuleTree(record, shown)
    keys = _first_view(tree) if expanded is None else expanded
    return _view(tree, keys), keys


def all_keys(record: GraphRecord, shown: set[str] | None = None) -> frozenset[str]:
    """Every module call's key: this state draws the unfolded graph."""
    return ModuleTree(record, shown).all_keys()


@dataclass(frozen=True)
class Stats:
    """A tensor in summary, for a collapsed box: what the record has of it."""

    shape: list[int]
    low: float | None = None
    mean: float | None = None
    high: float | None = None
    norm: float | None = None  # only when the record holds the contents (small tensors)

    def text(self, digits: int | None = None, with_shape: bool = True) -> str:
        parts = [fmt.shape_text(self.shape)] if with_shape else []
        if self.low is not None:
            number = fmt.number_format([self.low, self.mean, self.high], digits)
            parts.append(f"min {number(self.low)} mean {number(self.mean)} max {number(self.high)}")
        if self.norm is not None:
            parts.append(f"norm {fmt.number_format([self.norm], digits)(self.norm)}")
        return "  ".join(parts)


def stats(nested: Nested, summary: Summary | None, shape: list[int]) -> Stats | None:
    """Shape, min/mean/max and norm from a record's contents or its summary; None when it has neither."""
    if nested is not None:
        values = [float(v) for v in fmt.flatten(nested)]
        if not values:
            return Stats(shape)
        return Stats(
            shape,
            min(values),
            sum(values) / len(values),
            max(values),
            math.sqrt(sum(v * v for v in values)),
        )
    if summary is not None:
        return Stats(shape, summary.min, summary.mean, summary.max)
    return None
