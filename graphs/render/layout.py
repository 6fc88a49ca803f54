"""Graphviz settings chosen from the graph's shape, so layout time stays bounded.

`dot` places nodes with network simplex on an auxiliary graph that has one
virtual node for every rank an edge crosses. Reused weights (an unrolled RNN)
send edges from every step down to the same leaf, so the auxiliary graph
grows with steps x depth: an RNN of 500 nodes made 94,000 virtual nodes and
took 23 s even with `nslimit=1` (one iteration per node). The work is about
nodes x (nodes + crossed ranks), which this module estimates before `dot`
runs (longest-path ranks, as dot's own ranking gives for such graphs):
  - small graphs keep Graphviz's defaults (best-looking layout);
  - larger ones cap network simplex and crossing minimisation
    (`nslimit=1`, `nslimit1=1`, `mclimit=0.1`, straight edges);
  - when even that is too much, `nslimit=0` skips the positioning pass
    (same 500-node RNN: 0.6 s; nodes keep their order, edges get longer);
  - past `MAX_CROSSED` virtual nodes dot's memory runs to gigabytes whatever
    the settings (about 3 KB each; the benchmark's 5,400-node RNN crosses
    4.8 million ranks), so the force-directed `sfdp` engine draws the graph
    instead: not layered, but 2 s and 60 MB for that RNN;
  - above `HUGE_GRAPH` nodes labels also drop values and attributes.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from graphs.record.model import GraphRecord

LARGE_GRAPH = 150
HUGE_GRAPH = 2000
DEFAULT_WORK = 1_000_000  # nodes x (nodes + crossed ranks) under which defaults are quick
CAPPED_WORK = 1_500_000  # ... under which one simplex iteration per node is quick
MAX_CROSSED = 400_000  # virtual nodes dot can hold in well under its 2 GB export limit
CAPPED = {"nslimit": "1", "nslimit1": "1", "mclimit": "0.1", "splines": "false"}
UNPOSITIONED = {**CAPPED, "nslimit": "0"}
FORCE = {"layout": "sfdp", "splines": "false"}


@dataclass(frozen=True)
class LayoutPlan:
    """Graphviz settings chosen for a graph, kept so callers can report them."""

    name: Literal["default", "capped", "unpositioned", "force"]
    graph_attrs: dict[str, str] = field(default_factory=dict)
    compact: bool = False  # labels show op, name and shape only

    def describe(self) -> str:
        settings = " ".join(f"{key}={value}" for key, value in self.graph_attrs.items())
        return (
            f"layout {self.name}"
            + (f": {settings}" if settings else "")
            + (", values hidden" if self.compact else "")
        )


def layout_plan(node_count: int, crossed: int = 0) -> LayoutPlan:
    """The plan for a graph of `node_count` nodes whose edges cross `crossed` ranks in all."""
    compact = node_count > HUGE_GRAPH
    work = node_count * (node_count + crossed)
    if node_count <= LARGE_GRAPH and work <= DEFAULT_WORK:
        return LayoutPlan("default", compact=compact)
    if work <= CAPPED_WORK:
        return LayoutPlan("capped", dict(CAPPED), compact=compact)
    if crossed <= MAX_CROSSED:
        return LayoutPlan("unpositioned", dict(UNPOSITIONED), compact=compact)
    return LayoutPlan("force", dict(FORCE), compact=compact)


def plan_for(record: GraphRecord) -> LayoutPlan:
    return layout_plan(len(record.nodes), crossed_ranks(record))


def plan_for_edges(node_ids: Iterable[str], edges: Sequence[tuple[str, str]]) -> LayoutPlan:
    """The plan for a graph given as ids and edges (a folded view: nodes and module boxes)."""
    rank = ranks_of(node_ids, edges)
    return layout_plan(len(rank), _crossed(rank, edges))


def ranks(record: GraphRecord) -> dict[str, int]:
    """Each node's longest-path distance from the graph's sources (the outputs)."""
    # a constant sits below the op it feeds
    edges = [(edge.src, edge.dst) for edge in (*record.edges, *record.no_grad_edges)]
    return ranks_of((node.id for node in record.nodes), edges)


def ranks_of(node_ids: Iterable[str], edges: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Longest-path ranks of a graph given as ids and (src, dst) edges.

    Kahn's order; edges of a cycle, which a valid record never has, are left
    out rather than looping.
    """
    children: dict[str, list[str]] = defaultdict(list)
    waiting: dict[str, int] = defaultdict(int)
    for src, dst in edges:
        children[src].append(dst)
        waiting[dst] += 1
    rank = dict.fromkeys(node_ids, 0)
    ready = deque(node_id for node_id in rank if waiting[node_id] == 0)
    while ready:
        src = ready.popleft()
        for dst in children[src]:
            rank[dst] = max(rank.get(dst, 0), rank[src] + 1)
            waiting[dst] -= 1
            if waiting[dst] == 0:
                ready.append(dst)
    return rank


def crossed_ranks(record: GraphRecord) -> int:
    """Sum over edges of the ranks each crosses beyond the next one (dot's virtual nodes)."""
    return _crossed(ranks(record), [(edge.src, edge.dst) for edge in record.edges])


def _crossed(rank: dict[str, int], edges: Sequence[tuple[str, str]]) -> int:
    return sum(max(rank.get(dst, 0) - rank.get(src, 0) - 1, 0) for src, dst in edges)
