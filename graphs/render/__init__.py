"""Graph record -> Graphviz figure, every node annotated with value and gradient.

`to_dot(record, RenderOptions(...))` gives a `graphviz.Digraph` whose node ids
are the record's ids ("n3"), so the SVG's `<g id="n3" class="node">` links a
click back to the record. Options live in `options`, labels in `labels`.
"""

from __future__ import annotations

from functools import lru_cache

import graphviz

from graphs import format as fmt
from graphs.passview import PassView
from graphs.pitfalls import CUT_NOTES, node_notes
from graphs.record import GraphRecord
from graphs.render.labels import Labeller, tooltip
from graphs.render.layout import HUGE_GRAPH, LARGE_GRAPH, LayoutPlan, layout_plan, plan_for
from graphs.render.options import RenderOptions
from graphs.themes import theme

__all__ = [
    "HUGE_GRAPH",
    "LARGE_GRAPH",
    "LayoutPlan",
    "RenderOptions",
    "dot_source",
    "layout_plan",
    "plan_for",
    "to_dot",
]


def to_dot(record: GraphRecord, options: RenderOptions = RenderOptions()) -> graphviz.Digraph:
    """The record as a `graphviz.Digraph`; the layout plan used is its first comment line."""
    look = theme(options.theme)
    plan = plan_for(record)
    view = PassView(record, options.pass_index)
    notes = node_notes(record)
    graph = graphviz.Digraph("autograd", comment=plan.describe())
    graph.body.extend(_defaults(options.theme, options.rankdir, tuple(plan.graph_attrs.items())))
    labeller = Labeller(look, show_attrs=options.show_attrs and not plan.compact)
    show_values = options.show_values and not plan.compact
    show_grads = options.show_grads and not plan.compact
    digits = options.digits
    shown = record.shown_nodes(options.pass_index)
    if not options.show_constants:
        shown = (shown or {node.id for node in record.nodes}) - _plain_constants(record)
    for node in record.nodes:
        _check_id(node.id)
        if shown is not None and node.id not in shown:
            continue
        value = fmt.shown(node.value, node.shape, node.value_summary, digits) if show_values else None
        grad = grad_after = None
        if show_grads and node.requires_grad:
            nested, summary = view.grads.get(node.id), view.summaries.get(node.id)
            if nested is not None or summary is not None:
                grad = fmt.shown(nested, node.shape, summary, digits)
            if node.id in view.grad_after:  # None: torch left `.grad` None (autograd.grad)
                after = view.grad_after[node.id]
                if after is None:
                    grad_after = fmt.Shown(None, "None")
                elif grad is not None and after == nested:  # the usual first pass
                    grad_after = grad
                else:
                    grad_after = fmt.shown(after, node.shape, view.after_summaries.get(node.id), digits)
        step = view.order.get(node.id) if options.show_order else None
        note = notes.get(node.id)
        label = labeller.label(
            node, value, grad, step, grad_after, note and note.text, node.id in options.highlight
        )
        hint = tooltip(node)
        if hint is None:
            # Ids are "n<digits>" and the label is an HTML string whose every
            # program-supplied part is escaped: nothing left for graphviz's
            # per-attribute quoting to do, and skipping it is what keeps
            # DOT generation at torchviz's pace.
            graph.body.append(f"\t{node.id} [label={label}]\n")
        else:
            graph.node(node.id, label=label, tooltip=hint)
    for edge in record.edges:
        _check_id(edge.src)
        _check_id(edge.dst)
        if shown is not None and edge.src not in shown:
            continue
        graph.body.append(f"\t{edge.src} -> {edge.dst}\n")
    styles = _no_grad_styles(options.theme)
    for edge in record.no_grad_edges:  # constants dotted; detach()/no_grad() cuts dashed, with a note
        _check_id(edge.src)
        _check_id(edge.dst)
        if shown is not None and not (edge.src in shown and edge.dst in shown):
            continue
        graph.body.append(f"\t{edge.src} -> {edge.dst} {styles[edge.kind]}\n")
    return graph


def _plain_constants(record: GraphRecord) -> set[str]:
    """Constants that no detach()/no_grad() cut made (a program's data and targets)."""
    cut = {edge.src for edge in record.no_grad_edges if edge.kind != "constant"}
    return {edge.dst for edge in record.no_grad_edges if edge.kind == "constant"} - cut


@lru_cache(maxsize=8)
def _no_grad_styles(theme_name: str) -> dict[str, str]:
    """The attribute list of each kind of edge no gradient travels, quoted once per theme."""
    look = theme(theme_name)
    font = f'fontname="{look.font}" fontsize="{look.small_size:g}" fontcolor="{look.grad}"'
    styles = {"constant": f'[style=dotted color="{look.muted}"]'}
    for kind, note in CUT_NOTES.items():
        styles[kind] = f'[style=dashed color="{look.grad}" {font} label="{note.text}"]'
    return styles


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


def _check_id(node_id: str) -> None:
    """Ids go into the DOT text unquoted: accept only the builder's "n<digits>"
    (a record can arrive from a worker process or a JSON file)."""
    if not (node_id[:1] == "n" and node_id[1:].isdigit() and node_id[1:].isascii()):
        raise ValueError(f"not a node id: {node_id!r}")


def dot_source(record: GraphRecord, options: RenderOptions = RenderOptions()) -> str:
    return to_dot(record, options).source
