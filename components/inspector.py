"""The node inspector: everything the record knows about one node.

The selection lives in session state under `SELECT_KEY`; the select box and
a click on the graph both write it, so mouse and keyboard reach the same
view.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from components.chain_panel import chain_panel
from components.markdown import escape
from components.tables import as_markdown_table, grad_after_text, node_label, tensor_frame
from graphs import format as fmt
from graphs.passview import GRAD_AFTER, SENT, PassView, pass_title
from graphs.pitfalls import node_notes
from graphs.record import GraphRecord, Node

SELECT_KEY = "node_select"


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
            st.caption("Not visible from Python (only its shape is known).")
        else:
            st.table(as_markdown_table(frame), hide_index=True)


def _passes(record: GraphRecord, node: Node, digits: int | None) -> pd.DataFrame:
    """One row per pass that reached the node: the accumulation lesson in a table."""
    rows = []
    for position, run in enumerate(record.passes):
        facts = PassView(record, position).facts(node.id)
        if facts.step is None and facts.grad is None and not facts.has_grad_after:
            continue
        row = {"pass": pass_title(run), "backward step": facts.step,
               SENT if node.kind == "leaf" else "gradient": fmt.inline(facts.grad, node.shape,
                                                                        facts.summary, digits)}
        if node.kind == "leaf":
            row[GRAD_AFTER] = grad_after_text(node, facts, digits)
        rows.append(row)
    return pd.DataFrame(rows)


def inspector(record: GraphRecord, digits: int | None, pass_index: int | None = None) -> None:
    by_id = {node.id: node for node in record.nodes}
    selected(record)
    node_id = st.selectbox("Inspect node", list(by_id), key=SELECT_KEY,
                           format_func=lambda i: f"{node_label(by_id[i])}  [{i}]",
                           help="Or click a node in the graph")
    node = by_id[node_id]
    view = PassView(record, pass_index)
    facts = view.facts(node.id)
    st.caption(escape(view.title))
    about = {"name": node.name or "—", "op": node.op or node.kind, "shape": fmt.shape_text(node.shape),
             "dtype": node.dtype, "requires_grad": str(node.requires_grad),
             "backward step": "—" if facts.step is None else str(facts.step)}
    with st.container(key="node_facts"):
        st.table(as_markdown_table(pd.DataFrame([about])), hide_index=True)
    note = node_notes(record).get(node.id)
    if note:
        st.warning(escape(note), icon=":material/warning:")
    lines = (record.source or "").splitlines()
    if node.line and node.line <= len(lines):
        with st.container(key="node_line"):
            st.caption(f"Made by line {node.line} of the program")
            st.code(lines[node.line - 1].strip(), language="python")
    columns = st.columns(3 if node.kind == "leaf" else 2)
    with columns[0]:
        _tensor("Forward value", "node_value", node, node.value, node.value_summary, digits)
    with columns[1]:
        title = "Gradient, " + (SENT if node.kind == "leaf" else "this pass")
        _tensor(title, "node_grad", node, facts.grad, facts.summary, digits)
    if node.kind == "leaf":
        with columns[2], st.container(key="node_grad_after"):
            st.markdown(f"**{GRAD_AFTER}**")
            if not facts.has_grad_after:
                st.caption("Not reached by this view's pass.")
            elif facts.grad_after is None:
                st.markdown("`None`: torch leaves `.grad` unset here (as after `autograd.grad`)")
            else:
                frame = tensor_frame(facts.grad_after, node.shape, None, digits)
                st.table(as_markdown_table(frame), hide_index=True)
    if view.chosen is not None:
        chain_panel(record, view.chosen, node, digits)
    if node.attrs:
        with st.expander(f"Saved attributes ({len(node.attrs)})"):
            st.dataframe(pd.DataFrame({"attribute": list(node.attrs), "value": list(node.attrs.values())}),
                         hide_index=True, width="stretch")
    per_pass = _passes(record, node, digits)
    if len(per_pass):
        st.markdown("**Backward passes that reached this node**")
        st.dataframe(per_pass, hide_index=True, width="stretch")
