"""Each drawn node's DOT statement: its label (value, gradients, backward
step, warning note) and, when the label had to cut its name, a tooltip."""

from __future__ import annotations

import graphviz

from graphs.record.model import GraphRecord, Node
from graphs.render.labels import Labeller, tooltip
from graphs.render.layout import LayoutPlan
from graphs.render.options import RenderOptions
from graphs.render.overlay import Overlay
from graphs.render.themes import theme
from graphs.views import format as fmt
from graphs.views.passes import PassView
from graphs.views.pitfalls import node_notes


class NodeWriter:
    """Writes the node statements of one figure; what it shows is decided once
    from the options and the layout plan (a compact plan shows no numbers)."""

    def __init__(
        self, record: GraphRecord, options: RenderOptions, plan: LayoutPlan, view: PassView, overlay: Overlay
    ) -> None:
        self.view = view
        self.overlay = overlay
        self.notes = node_notes(record)
        self.labeller = Labeller(theme(options.theme), show_attrs=options.show_attrs and not plan.compact)
        self.show_values = options.show_values and not plan.compact
        self.show_grads = options.show_grads and not plan.compact
        self.show_order = options.show_order
        self.digits = options.digits
        self.highlight = options.highlight
        self.hide_grads = options.hide_grads

    def statement(self, graph: graphviz.Digraph, node: Node) -> str:
        """The node's statement; `graph` quotes the tooltip of the few nodes that have one."""
        value = fmt.shown(node.value, node.shape, self.digits) if self.show_values else None
        grad, grad_after = self._grads(node)
        step = self.view.order.get(node.id) if self.show_order else None
        note = self.notes.get(node.id)
        label = self.labeller.label(
            node,
            value,
            grad,
            step,
            grad_after,
            note and note.text,
            node.id in self.highlight,
            node.id in self.hide_grads,
            self.overlay.fill(node.id),
        )
        hint = tooltip(node)
        if hint is None:
            # Ids are "n<digits>" and the label is an HTML string whose every
            # program-supplied part is escaped: nothing left for graphviz's
            # per-attribute quoting to do, and skipping it is what keeps
            # DOT generation at torchviz's pace.
            return f"\t{node.id} [label={label}]\n"
        graph.node(node.id, label=label, tooltip=hint)
        return graph.body.pop()

    def _grads(self, node: Node) -> tuple[fmt.Shown | None, fmt.Shown | None]:
        """What the pass sent into the node, and a leaf's `.grad` after it (None: not shown)."""
        if not (self.show_grads and node.requires_grad):
            return None, None
        view, grad, grad_after = self.view, None, None
        sent = view.grads.get(node.id)
        if sent is not None:
            grad = fmt.shown(sent, node.shape, self.digits)
        if node.id in view.grad_after:  # None: torch left `.grad` None (autograd.grad)
            after = view.grad_after[node.id]
            if after is None:
                grad_after = fmt.Shown(None, "None")
            elif grad is not None and after == sent:  # the usual first pass
                grad_after = grad
            else:
                grad_after = fmt.shown(after, node.shape, self.digits)
        return grad, grad_after
