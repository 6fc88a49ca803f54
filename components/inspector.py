"""The node inspector: everything the record knows about one node.

The selection lives in session state under `SELECT_KEY`; the select box and
a click on the graph both write it, so mouse and keyboard reach the same
view. The select box is not bound to that key: it is made afresh (its key
names the selection) with the selection as its index, because a box bound to
a key that Python set before drawing it showed its first option in the
browser and sent that back on the next rerun.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from components.chain_panel import chain_panel
from components.i18n import _, translator
from components.markdown import escape
from components.tables import (
    as_markdown_table,
    grad_after_text,
    node_label,
    pass_name,
    tensor_frame,
    view_title,
)
from graphs.record.model import GraphRecord, Node, Numbers
from graphs.views import format as fmt
from graphs.views.passes import NodeFacts, PassView
from graphs.views.pitfalls import CUT_NOTES, node_notes

SELECT_KEY = "node_select"
PICK_KEY = "node_pick"


def select(node_id: str) -> None:
    """Make `node_id` the inspected node (used as the graph's click callback)."""
    st.session_state[SELECT_KEY] = node_id


def selected(record: GraphRecord) -> str:
    """The inspected node's id, falling back to the output when the stored
    selection does not belong to this record (a new program ran)."""
    ids = [node.id for node in record.nodes]
    current = st.session_state.get(SELECT_KEY)
    if current not in ids:
        outputs = [node.id for node in record.nodes if node.kind == "output"]
        current = (outputs or ids)[0]
        st.session_state[SELECT_KEY] = current
    return current


def _bold(text: str) -> None:
    st.markdown(f"**{text}**")


def _hidden_answer() -> None:
    """Said where a number would be while the quiz asks for it."""
    st.caption(_("Hidden: it is the quiz question."))


def _tensor(title: str, key: str, node: Node, numbers: Numbers, digits: int | None) -> None:
    """A small static table (st.table: real HTML, readable by a screen reader)."""
    with st.container(key=key):
        _bold(title)
        frame = tensor_frame(numbers, node.shape, digits)
        if frame is None:
            st.caption(_("Not visible from Python (only its shape is known)."))
        else:
            st.table(as_markdown_table(frame), hide_index=True)


def _passes(record: GraphRecord, node: Node, digits: int | None) -> pd.DataFrame:
    """One row per pass that reached the node: the accumulation lesson in a table."""
    rows = []
    for position, run in enumerate(record.passes):
        facts = PassView(record, position).facts(node.id)
        if facts.step is None and facts.grad is None and not facts.has_grad_after:
            continue
        row = {
            _("pass"): pass_name(run),
            _("backward step"): facts.step,
            _("this pass sent") if node.kind == "leaf" else _("gradient"): fmt.inline(
                facts.grad, node.shape, digits
            ),
        }
        if node.kind == "leaf":
            row[_(".grad after this pass")] = grad_after_text(node, facts, digits)
        rows.append(row)
    return pd.DataFrame(rows)


def inspector(
    record: GraphRecord,
    digits: int | None,
    pass_index: int | None = None,
    hide_grad: Callable[[GraphRecord, str], bool] = lambda record, node_id: False,
) -> None:
    """Everything about the selected node in the chosen pass's view;
    `hide_grad(record, id)` keeps a quiz's answers out of sight (the gradient,
    `.grad`, the per-pass table, and the chain rule while any is hidden)."""
    by_id = {node.id: node for node in record.nodes}
    node = by_id[_pick_node(record, by_id)]
    secret = hide_grad(record, node.id)
    view = PassView(record, pass_index)
    facts = view.facts(node.id)
    st.caption(escape(view_title(view)))
    _header(node, facts)
    _notes(record, node, by_id)
    _source_line(record, node)
    _value_and_gradients(record, node, facts, digits, secret)
    if secret:
        return
    # The chain rule shows the gradients sent to this node's inputs (and a Jacobian
    # gives the leaves' away): not while a quiz still hides any gradient.
    if view.chosen is not None and not any(hide_grad(record, other) for other in by_id):
        chain_panel(record, view.chosen, node, digits)
    _saved_attributes(node)
    _pass_table(record, node, digits)


def _pick_node(record: GraphRecord, by_id: dict[str, Node]) -> str:
    """The node select box, made afresh for the current selection (see the module's note)."""
    current = selected(record)
    picker = f"{PICK_KEY}_{current}"
    t = translator()
    return st.selectbox(
        _("Inspect node"),
        list(by_id),
        index=list(by_id).index(current),
        key=picker,
        format_func=lambda i: f"{node_label(by_id[i], t)}  [{i}]",
        help=_("Or click a node in the graph"),
        on_change=lambda: select(st.session_state[picker]),
    )


def _header(node: Node, facts: NodeFacts) -> None:
    """The node's name, op, shape, dtype, requires_grad and backward step in one row."""
    about = {
        "name": node.name or "—",
        "op": node.op or node.kind,
        "shape": fmt.shape_text(node.shape),
        "dtype": node.dtype,
        "requires_grad": str(node.requires_grad),
        "backward step": "—" if facts.step is None else str(facts.step),
    }
    with st.container(key="node_facts"):
        st.table(as_markdown_table(pd.DataFrame([about])), hide_index=True)


def _notes(record: GraphRecord, node: Node, by_id: dict[str, Node]) -> None:
    """The pitfall note on the node; for a cut tensor, where it came from and why no gradient goes there."""
    t = translator()
    note = node_notes(record).get(node.id)
    if note:
        st.warning(escape(note.translated(t)), icon=":material/warning:")
    for edge in record.no_grad_edges:
        if edge.src == node.id and edge.kind in CUT_NOTES:
            origin = node_label(by_id[edge.dst], t)
            st.info(
                _("Cut from {origin}: {note}").format(
                    origin=escape(origin), note=escape(CUT_NOTES[edge.kind].translated(t))
                ),
                icon=":material/content_cut:",
            )


def _source_line(record: GraphRecord, node: Node) -> None:
    """The program's line that made the node, when the record knows it."""
    lines = (record.source or "").splitlines()
    if node.line and node.line <= len(lines):
        with st.container(key="node_line"):
            st.caption(_("Made by line {line} of the program").format(line=node.line))
            st.code(lines[node.line - 1].strip(), language="python")


def _no_gradient(constant: bool) -> None:
    """Words in the gradient column, not zeros or "—" that would look like a gradient."""
    with st.container(key="node_grad"):
        _bold(_("Gradient"))
        if constant:
            st.caption(_("requires_grad=False: autograd sends no gradient here."))
        else:
            st.caption(_("No backward pass yet: the program never called backward()."))


def _gradient(node: Node, facts: NodeFacts, digits: int | None, secret: bool) -> None:
    """The gradient this view's pass sent to the node (a leaf's share, not its `.grad`)."""
    title = _("Gradient, this pass sent") if node.kind == "leaf" else _("Gradient, this pass")
    if secret:
        with st.container(key="node_grad"):
            _bold(title)
            _hidden_answer()
    else:
        _tensor(title, "node_grad", node, facts.grad, digits)


def _grad_after(node: Node, facts: NodeFacts, digits: int | None, secret: bool) -> None:
    """A leaf's `.grad` after the pass: the running sum that `print(w.grad)` shows."""
    with st.container(key="node_grad_after"):
        _bold(_(".grad after this pass"))
        if secret:
            _hidden_answer()
        elif not facts.has_grad_after:
            st.caption(_("Not reached by this view's pass."))
        elif facts.grad_after is None:
            st.markdown(_("`None`: torch leaves `.grad` unset here (as after `autograd.grad`)"))
        else:
            frame = tensor_frame(facts.grad_after, node.shape, digits)
            st.table(as_markdown_table(frame), hide_index=True)


def _value_and_gradients(
    record: GraphRecord, node: Node, facts: NodeFacts, digits: int | None, secret: bool
) -> None:
    """Side by side: the forward value, the gradient and (for a leaf) its `.grad`."""
    constant = node.kind == "leaf" and not node.requires_grad
    gradless = constant or not record.passes  # no zeros or "—" that would look like a gradient
    columns = st.columns(2 if gradless or node.kind != "leaf" else 3)
    with columns[0]:
        _tensor(_("Forward value"), "node_value", node, node.value, digits)
    with columns[1]:
        if gradless:
            _no_gradient(constant)
        else:
            _gradient(node, facts, digits, secret)
    if not gradless and node.kind == "leaf":
        with columns[2]:
            _grad_after(node, facts, digits, secret)


def _saved_attributes(node: Node) -> None:
    """What the op saved for backward, folded away."""
    if node.attrs:
        with st.expander(_("Saved attributes ({count})").format(count=len(node.attrs))):
            attributes = {_("attribute"): list(node.attrs), _("value"): list(node.attrs.values())}
            st.dataframe(pd.DataFrame(attributes), hide_index=True, width="stretch")


def _pass_table(record: GraphRecord, node: Node, digits: int | None) -> None:
    """Every pass that reached the node; with one pass the gradient columns already say it all
    (and the live edit stays in view)."""
    per_pass = _passes(record, node, digits) if len(record.passes) > 1 else pd.DataFrame()
    if len(per_pass):
        _bold(_("Backward passes that reached this node"))
        st.dataframe(per_pass, hide_index=True, width="stretch")
