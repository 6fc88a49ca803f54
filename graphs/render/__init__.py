"""Graph record -> Graphviz figure, every node annotated with value and gradient.

`to_dot(record, RenderOptions(...))` gives a `graphviz.Digraph` whose node ids
are the record's ids ("n3"), so the SVG's `<g id="n3" class="node">` links a
click back to the record. Options live in `options`, labels in `labels`
(each node's statement in `nodes`), the edges no gradient travels in `edges`,
the gradient-norm overlay's fills and legend in `overlay`.

A large graph (or any graph given a folding state) is drawn folded by module
(`graphs.views.folding`): an expanded module is a cluster labelled with its path,
a collapsed one a box whose id is "m<digits>", its cluster "cluster_m<digits>"
(written by `boxes`). Which folded view a figure draws is `folded`; a caller
that shows the view beside the figure (the app's panels name its boxes) works
it out once (`folding_of`) and hands it to `draw`.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

import graphviz

from graphs.record.model import GraphRecord, Node
from graphs.render.boxes import draw_folded
from graphs.render.edges import draw_no_grad_edges, plain_constants
from graphs.render.folded import Folding, folded_view, folding_of, folding_state
from graphs.render.ids import check_id
from graphs.render.layout import HUGE_GRAPH, LARGE_GRAPH, LayoutPlan, layout_plan, plan_for, plan_for_edges
from graphs.render.nodes import NodeWriter
from graphs.render.options import RenderOptions
from graphs.render.overlay import Overlay
from graphs.render.themes import theme
from graphs.views.folding import FoldedView
from graphs.views.passes import PassView

__all__ = [
    "HUGE_GRAPH",
    "LARGE_GRAPH",
    "Folding",
    "LayoutPlan",
    "RenderOptions",
    "dot_source",
    "draw",
    "folded_view",
    "folding_of",
    "folding_state",
    "layout_plan",
    "plan_for",
    "to_dot",
]


def to_dot(record: GraphRecord, options: RenderOptions = RenderOptions()) -> graphviz.Digraph:
    """The record as a `graphviz.Digraph`, folded as the options say (`folded_view`);
    the layout plan used is its first comment line."""
    return draw(record, options, folded_view(record, options))


def dot_source(record: GraphRecord, options: RenderOptions = RenderOptions()) -> str:
    return to_dot(record, options).source


def draw(record: GraphRecord, options: RenderOptions, folded: FoldedView | None) -> graphviz.Digraph:
    """`to_dot` with the folded view already worked out for these options (None:
    the plain graph), so a caller that keeps it for its panels folds once."""
    shown = record.shown_nodes(options.pass_index)
    if folded is None:
        plan = plan_for(record)
    else:
        plan = plan_for_edges([*folded.nodes, *(box.id for box in folded.boxes)], folded.edges)
        shown = set(folded.nodes)
    if not options.show_constants:
        shown = (shown or {node.id for node in record.nodes}) - plain_constants(record)
    graph = graphviz.Digraph("autograd", comment=plan.describe())
    graph.body.extend(_defaults(options.theme, options.rankdir, tuple(plan.graph_attrs.items())))
    overlay = Overlay(record, options, folded, theme(options.theme))
    nodes = NodeWriter(record, options, plan, PassView(record, options.pass_index), overlay)
    drawn = _drawn_nodes(record, shown)
    if folded is None:
        graph.body.extend(nodes.statement(graph, node) for node in drawn)
        _draw_edges(graph, record, shown)
    else:
        statements: dict[str | None, list[str]] = {}  # cluster id (None: the top) -> its node statements
        for node in drawn:
            statements.setdefault(folded.placed.get(node.id), []).append(nodes.statement(graph, node))
        draw_folded(graph, record, folded, statements, theme(options.theme), nodes)
    draw_no_grad_edges(graph, record, options.theme, shown, folded)
    legend = overlay.legend()
    if legend is not None:
        graph.body.append(legend)
    return graph


def _drawn_nodes(record: GraphRecord, shown: set[str] | None) -> Iterator[Node]:
    """The nodes drawn, in record order; every id is checked, drawn or not (a forged record fails whole)."""
    for node in record.nodes:
        check_id(node.id)
        if shown is None or node.id in shown:
            yield node


def _draw_edges(graph: graphviz.Digraph, record: GraphRecord, shown: set[str] | None) -> None:
    """The unfolded graph's edges: each one the record has between drawn nodes."""
    for edge in record.edges:
        check_id(edge.src)
        check_id(edge.dst)
        if shown is not None and edge.src not in shown:
            continue
        graph.body.append(f"\t{edge.src} -> {edge.dst}\n")


@lru_cache(maxsize=64)
def _defaults(theme_name: str, rankdir: str, plan_attrs: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    """The graph/node/edge attribute statements, quoted by graphviz once per
    look and plan: on a small graph that quoting was a fifth of the time."""
    look = theme(theme_name)
    graph = graphviz.Digraph()
    graph.attr(
        "graph",
        rankdir=rankdir,
        bgcolor=look.background,
        fontname=look.font,
        nodesep="0.25",
        ranksep="0.35",
        **dict(plan_attrs),
    )
    # id=\N: every node's SVG id is its name (the record's id) without a per-node attribute.
    graph.attr(
        "node", shape="plain", id="\\N", fontcolor=look.text, fontname=look.font, fontsize=str(look.font_size)
    )
    graph.attr(
        "edge", color=look.edge, penwidth=str(look.pen_width), arrowsize=str(0.6 + 0.1 * look.pen_width)
    )
    return tuple(graph.body)
