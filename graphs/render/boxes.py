"""A folded view (`graphs.views.folding`) written into DOT: each collapsed
module a box with the summary of what flows in and out of it, each expanded
one a cluster (nested as the modules are), then the edges between what is drawn."""

from __future__ import annotations

import graphviz

from graphs.record.loops import PATH_PREFIX, is_loop
from graphs.record.model import GraphRecord, Node
from graphs.render.ids import check_id
from graphs.render.labels import HIDDEN, ModuleLabeller
from graphs.render.nodes import NodeWriter
from graphs.render.themes import Theme
from graphs.views import format as fmt
from graphs.views.box_stats import stats
from graphs.views.folding import Box, Cluster, FoldedView

# Fixed tooltips of ours (plain ASCII, nothing to quote), in the words of what
# is folded: a module call, or an iteration of one of the program's loops
# (graphs.record.loops), which folds as a call does. English, as every word of
# the figure is (its notes, its boxes' rows): the app's panels say them in the
# page's language (components/folding_panel.py).
BOX_HINTS = {
    "module": "a collapsed module call: click to expand it",
    "loop": "a collapsed loop iteration: click to expand it",
}
RUN_HINTS = {
    "module": "repeated module calls folded into one: click to open the last one",
    "loop": "repeated loop iterations folded into one: click to open the last one",
}
CLUSTER_HINTS = {
    "module": "click the label to collapse this module call",
    "loop": "click the label to collapse this loop iteration",
}


def box_word(record: GraphRecord, box: Box) -> str:
    """`loop` for a box of loop iterations, `module` for one of module calls
    (a box's members are all of one kind: a run repeats one call)."""
    return "loop" if is_loop(record.modules[box.members[0]]) else "module"


def cluster_word(cluster: Cluster) -> str:
    """`loop` for an open loop iteration (its key is its path, `loop@L12@37`), else `module`."""
    return "loop" if cluster.key.startswith(PATH_PREFIX) else "module"


def draw_folded(
    graph: graphviz.Digraph,
    record: GraphRecord,
    folded: FoldedView,
    statements: dict[str | None, list[str]],
    look: Theme,
    nodes: NodeWriter,
) -> None:
    """Boxes and clusters, then the edges between what is drawn. `statements`
    are the drawn nodes' statements by the cluster they sit in (None: the top);
    `nodes` says what the labels show, and the boxes show the same."""
    labels = ModuleLabeller(look)
    by_id = {node.id: node for node in record.nodes}
    for box in folded.boxes:
        check_id(box.id, "m")
        label = labels.box(box.title, box.kind, box.count, box_rows(box, by_id, nodes))
        fill = nodes.overlay.fill(box.id) or look.op_fill
        hint = (BOX_HINTS if box.count == 1 else RUN_HINTS)[box_word(record, box)]
        statements.setdefault(folded.placed.get(box.id), []).append(
            f'\t{box.id} [label={label} shape=box3d style=filled fillcolor="{fill}" '
            f'color="{look.border}" tooltip="{hint}"]\n'
        )
    inside: dict[str | None, list[Cluster]] = {}
    for cluster in folded.clusters:
        check_id(cluster.id.removeprefix("cluster_"), "m")
        inside.setdefault(cluster.parent, []).append(cluster)
    style = f'style="rounded,dashed" color="{look.muted}" penwidth={look.pen_width:g} labeljust=l'

    def draw(cluster_id: str | None, indent: str) -> None:
        graph.body.extend(indent + statement for statement in statements.get(cluster_id, ()))
        for cluster in inside.get(cluster_id, ()):
            graph.body.append(f"{indent}\tsubgraph {cluster.id} {{\n")
            hint = CLUSTER_HINTS[cluster_word(cluster)]
            label = labels.cluster_label(cluster.label)
            graph.body.append(f'{indent}\t\t{style} tooltip="{hint}" label={label}\n')
            draw(cluster.id, indent + "\t")
            graph.body.append(f"{indent}\t}}\n")

    draw(None, "")
    # Every end is a node or box id checked above (folding drops edges to unknown ids).
    graph.body.extend(f"\t{src} -> {dst}\n" for src, dst in folded.edges)


def box_rows(box: Box, by_id: dict[str, Node], nodes: NodeWriter) -> list[tuple[str, str]]:
    """The summary under a box's title: the value and gradient of what leaves
    it (out) and of what it reads (in, an activation before a weight). A
    gradient the figure hides (`RenderOptions.hide_grads`) is a row of its own, "?"."""
    rows: list[tuple[str, str]] = []
    inputs = sorted(box.inputs, key=lambda node_id: by_id[node_id].kind == "leaf")
    for caption, ids in (("out", box.outputs), ("in", inputs)):
        if not ids:
            continue
        node = by_id[ids[0]]
        head = caption if len(ids) == 1 else f"{caption} (1 of {len(ids)})"
        value = stats(node.value, node.shape) if nodes.show_values else None
        rows.append(("value", f"{head} {value.text(nodes.digits) if value else fmt.shape_text(node.shape)}"))
        if nodes.show_grads and node.requires_grad:
            grad = stats(nodes.view.grads.get(node.id), node.shape)
            if grad is not None and node.id in nodes.hide_grads:
                rows.append(("grad", HIDDEN))
            elif grad is not None:
                rows.append(("grad", f"{caption} grad {grad.text(nodes.digits, with_shape=False)}"))
    return rows
