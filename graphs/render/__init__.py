"""Graph record -> Graphviz figure, every node annotated with value and gradient.

`to_dot(record, RenderOptions(...))` gives a `graphviz.Digraph` whose node ids
are the record's ids ("n3"), so the SVG's `<g id="n3" class="node">` links a
click back to the record. Options live in `options`, labels in `labels`.

A large graph (or any graph given a folding state) is drawn folded by module
(`graphs.views.folding`): an expanded module is a cluster labelled with its path,
a collapsed one a box whose id is "m<digits>", its cluster "cluster_m<digits>".
"""

from __future__ import annotations

from functools import lru_cache

import graphviz

from graphs.record.model import GraphRecord, Node
from graphs.render.labels import Labeller, ModuleLabeller, tooltip
from graphs.render.layout import HUGE_GRAPH, LARGE_GRAPH, LayoutPlan, layout_plan, plan_for, plan_for_edges
from graphs.render.options import RenderOptions
from graphs.render.themes import theme
from graphs.views import folding
from graphs.views import format as fmt
from graphs.views.box_stats import stats
from graphs.views.folding import Box, FoldedView
from graphs.views.passes import PassView
from graphs.views.pitfalls import CUT_NOTES, node_notes

__all__ = [
    "HUGE_GRAPH",
    "LARGE_GRAPH",
    "LayoutPlan",
    "RenderOptions",
    "dot_source",
    "folded_view",
    "folding_state",
    "layout_plan",
    "plan_for",
    "to_dot",
]


def folded_view(record: GraphRecord, options: RenderOptions) -> FoldedView | None:
    """What a figure with these options draws folded, or None for the plain graph:
    a record without modules, a small one left to the automatic state, or `UNFOLDED`."""
    found = folding_state(record, options)
    return None if found is None else found[0]


def folding_state(record: GraphRecord, options: RenderOptions) -> tuple[FoldedView, frozenset[str]] | None:
    """`folded_view` and the module keys it has open (the first view's when automatic)."""
    if not record.modules or options.folding == folding.UNFOLDED:
        return None
    shown = record.shown_nodes(options.pass_index)
    if options.folding is None and len(record.nodes if shown is None else shown) <= LARGE_GRAPH:
        return None
    return folding.view(record, options.folding, shown)


def to_dot(record: GraphRecord, options: RenderOptions = RenderOptions()) -> graphviz.Digraph:
    """The record as a `graphviz.Digraph`; the layout plan used is its first comment line."""
    look = theme(options.theme)
    shown = record.shown_nodes(options.pass_index)
    folded = folded_view(record, options)
    if folded is None:
        plan = plan_for(record)
    else:
        plan = plan_for_edges([*folded.nodes, *(box.id for box in folded.boxes)], folded.edges)
        shown = set(folded.nodes)
    if not options.show_constants:
        shown = (shown or {node.id for node in record.nodes}) - _plain_constants(record)
    view = PassView(record, options.pass_index)
    notes = node_notes(record)
    graph = graphviz.Digraph("autograd", comment=plan.describe())
    graph.body.extend(_defaults(options.theme, options.rankdir, tuple(plan.graph_attrs.items())))
    labeller = Labeller(look, show_attrs=options.show_attrs and not plan.compact)
    show_values = options.show_values and not plan.compact
    show_grads = options.show_grads and not plan.compact
    digits = options.digits
    statements: dict[str | None, list[str]] = {}  # cluster id (None: the top) -> its node statements
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
            statement = f"\t{node.id} [label={label}]\n"
        else:
            graph.node(node.id, label=label, tooltip=hint)
            statement = graph.body.pop()
        if folded is None:
            graph.body.append(statement)
        else:
            statements.setdefault(folded.placed.get(node.id), []).append(statement)
    if folded is not None:
        _draw_folded(graph, record, folded, statements, look, view, show_values, show_grads, digits)
    else:
        for edge in record.edges:
            _check_id(edge.src)
            _check_id(edge.dst)
            if shown is not None and edge.src not in shown:
                continue
            graph.body.append(f"\t{edge.src} -> {edge.dst}\n")
    _draw_no_grad_edges(graph, record, options.theme, shown, folded)
    return graph


def _draw_no_grad_edges(
    graph: graphviz.Digraph,
    record: GraphRecord,
    theme_name: str,
    shown: set[str] | None,
    folded: FoldedView | None,
) -> None:
    """Constants dotted, detach()/no_grad() cuts dashed with their note; in a
    folded view each end is what stands for it (a box), once per pair, and
    an edge inside one box is not drawn."""
    styles = _no_grad_styles(theme_name)
    boxes = set() if folded is None else {box.id for box in folded.boxes}
    drawn_ends = None if shown is None else shown | boxes
    drawn: set[tuple[str, str]] = set()
    for edge in record.no_grad_edges:
        _check_id(edge.src)
        _check_id(edge.dst)
        src, dst = edge.src, edge.dst
        if folded is not None:
            src, dst = folded.hidden.get(src, src), folded.hidden.get(dst, dst)
        drawable = drawn_ends is None or (src in drawn_ends and dst in drawn_ends)
        if not drawable or src == dst or (src, dst) in drawn:
            continue
        drawn.add((src, dst))
        graph.body.append(f"\t{src} -> {dst} {styles[edge.kind]}\n")


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


def _draw_folded(
    graph: graphviz.Digraph,
    record: GraphRecord,
    folded: FoldedView,
    statements: dict[str | None, list[str]],
    look,
    view: PassView,
    show_values: bool,
    show_grads: bool,
    digits: int | None,
) -> None:
    """Boxes and clusters (nested as the modules are), then the edges between what is drawn."""
    labels = ModuleLabeller(look)
    by_id = {node.id: node for node in record.nodes}
    for box in folded.boxes:
        _check_id(box.id, "m")
        rows = _box_rows(box, by_id, view, show_values, show_grads, digits)
        label = labels.box(box.title, box.kind, box.count, rows)
        statements.setdefault(folded.placed.get(box.id), []).append(
            f'\t{box.id} [label={label} shape=box3d style=filled fillcolor="{look.op_fill}" '
            f'color="{look.border}" tooltip="{_BOX_HINT if box.count == 1 else _RUN_HINT}"]\n'
        )
    inside: dict[str | None, list] = {}
    for cluster in folded.clusters:
        _check_id(cluster.id.removeprefix("cluster_"), "m")
        inside.setdefault(cluster.parent, []).append(cluster)
    style = (
        f'style="rounded,dashed" color="{look.muted}" penwidth={look.pen_width:g} labeljust=l '
        f'tooltip="{_CLUSTER_HINT}"'
    )

    def draw(cluster_id: str | None, indent: str) -> None:
        graph.body.extend(indent + statement for statement in statements.get(cluster_id, ()))
        for cluster in inside.get(cluster_id, ()):
            graph.body.append(f"{indent}\tsubgraph {cluster.id} {{\n")
            graph.body.append(f"{indent}\t\t{style} label={labels.cluster_label(cluster.label)}\n")
            draw(cluster.id, indent + "\t")
            graph.body.append(f"{indent}\t}}\n")

    draw(None, "")
    # Every end is a node or box id checked above (folding drops edges to unknown ids).
    graph.body.extend(f"\t{src} -> {dst}\n" for src, dst in folded.edges)


# Fixed tooltips of ours (plain ASCII, nothing to quote).
_BOX_HINT = "a collapsed module: click to expand it"
_RUN_HINT = "repeated module calls folded into one: click to open the last one"
_CLUSTER_HINT = "click the label to collapse this module"


def _box_rows(
    box: Box, by_id: dict[str, Node], view: PassView, show_values: bool, show_grads: bool, digits: int | None
) -> list[tuple[str, str]]:
    """The summary under a box's title: the value and gradient of what leaves
    it (out) and of what it reads (in, an activation before a weight)."""
    rows: list[tuple[str, str]] = []
    inputs = sorted(box.inputs, key=lambda node_id: by_id[node_id].kind == "leaf")
    for caption, ids in (("out", box.outputs), ("in", inputs)):
        if not ids:
            continue
        node = by_id[ids[0]]
        head = caption if len(ids) == 1 else f"{caption} (1 of {len(ids)})"
        if show_values:
            value = stats(node.value, node.value_summary, node.shape)
            rows.append(("value", f"{head} {value.text(digits) if value else fmt.shape_text(node.shape)}"))
        else:
            rows.append(("value", f"{head} {fmt.shape_text(node.shape)}"))
        if show_grads and node.requires_grad:
            grad = stats(view.grads.get(node.id), view.summaries.get(node.id), node.shape)
            if grad is not None:
                rows.append(("grad", f"{caption} grad {grad.text(digits, with_shape=False)}"))
    return rows


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


def _check_id(node_id: str, kinds: str = "n") -> None:
    """Ids go into the DOT text unquoted: accept only the builder's "n<digits>"
    (a record can arrive from a worker process or a JSON file), and where
    `kinds` says so folding's module boxes, "m<digits>"."""
    if not (node_id[:1] in kinds and node_id[1:].isdigit() and node_id[1:].isascii()):
        raise ValueError(f"not a node id: {node_id!r}")


def dot_source(record: GraphRecord, options: RenderOptions = RenderOptions()) -> str:
    return to_dot(record, options).source
