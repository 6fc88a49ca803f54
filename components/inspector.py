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

from components.i18n import _, translator
from components.tables import as_markdown_table, node_label, tensor_frame
from graphs import format as fmt
from graphs.record import GraphRecord, Node

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


def _tensor(title: str, key: str, node: Node, nested, summary, digits: int | None) -> None:
    """A small static table (st.table: real HTML, readable by a screen reader)."""
    with st.container(key=key):
        st.markdown(f"**{title}**")
        frame = tensor_frame(nested, node.shape, summary, digits)
        if frame is None:
            st.caption(_("Not visible from Python (only its shape is known)."))
        else:
            st.table(as_markdown_table(frame), hide_index=True)


def _passes(record: GraphRecord, node: Node, digits: int | None) -> pd.DataFrame:
    rows = []
    for step in record.passes:
        grad = step.gradient(node.id)
        if node.id in step.order or grad is not None:
            rows.append({_("pass"): step.index + 1,
                         _("call"): step.kind if step.line is None
                         else _("{call} (line {line})").format(call=step.kind, line=step.line),
                         _("backward step"): step.order.get(node.id),
                         _("gradient"): fmt.inline(grad, node.shape, None, digits)})
    return pd.DataFrame(rows)


def inspector(record: GraphRecord, digits: int | None,
              hide_grad: Callable[[GraphRecord, str], bool] = lambda record, node_id: False) -> None:
    """Everything about the selected node; `hide_grad(record, id)` keeps a
    quiz's answer out of sight."""
    by_id = {node.id: node for node in record.nodes}
    current = selected(record)
    picker = f"{PICK_KEY}_{current}"
    t = translator()
    node_id = st.selectbox(_("Inspect node"), list(by_id), index=list(by_id).index(current), key=picker,
                           format_func=lambda i: f"{node_label(by_id[i], t)}  [{i}]",
                           help=_("Or click a node in the graph"),
                           on_change=lambda: select(st.session_state[picker]))
    node = by_id[node_id]
    secret = hide_grad(record, node_id)
    facts = {"name": node.name or "—", "op": node.op or node.kind, "shape": fmt.shape_text(node.shape),
             "dtype": node.dtype, "requires_grad": str(node.requires_grad),
             "backward step": "—" if node.order is None else str(node.order)}
    with st.container(key="node_facts"):
        st.table(as_markdown_table(pd.DataFrame([facts])), hide_index=True)
    left, right = st.columns(2)
    with left:
        _tensor(_("Forward value"), "node_value", node, node.value, node.value_summary, digits)
    with right:
        if secret:
            with st.container(key="node_grad"):
                st.markdown("**" + _("Gradient") + "**")
                st.caption(_("Hidden: it is the quiz question."))
        else:
            _tensor(_("Gradient"), "node_grad", node, node.grad, node.grad_summary, digits)
    if secret:
        return
    if node.grad_inputs:
        with st.expander(f"grad_inputs ({len(node.grad_inputs)})"):
            for index, grad in enumerate(node.grad_inputs):
                st.caption(f"grad_inputs[{index}]")
                frame = tensor_frame(grad, _shape(grad), None, digits)
                if frame is None:
                    st.caption(_("None: no gradient flows to this input, "
                                 "or it was too large to keep (over 256 entries)"))
                else:
                    st.table(as_markdown_table(frame), hide_index=True)
    if node.attrs:
        with st.expander(_("Saved attributes ({count})").format(count=len(node.attrs))):
            attributes = {_("attribute"): list(node.attrs), _("value"): list(node.attrs.values())}
            st.dataframe(pd.DataFrame(attributes),
                         hide_index=True, width="stretch")
    per_pass = _passes(record, node, digits)
    if len(per_pass):
        st.markdown("**" + _("Backward passes that reached this node") + "**")
        st.dataframe(per_pass, hide_index=True, width="stretch")


def _shape(nested) -> list[int]:
    """The shape of a nested list (records store grad_inputs without shapes)."""
    shape = []
    while isinstance(nested, list):
        shape.append(len(nested))
        nested = nested[0] if nested else None
    return shape
