"""Tensors as tables: one row per tensor for the whole graph, and a single
tensor's entries as a grid for the inspector.

Numbers are formatted by the core (`graphs.format`) so the tables read the
same as the figure and as torch's own print.
"""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from components.i18n import N_, _
from components.markdown import escape
from graphs import format as fmt
from graphs.record import GraphRecord, Nested, Node, Summary


def tensor_frame(nested: Nested, shape: list[int], summary: Summary | None,
                 digits: int | None) -> pd.DataFrame | None:
    """A tensor as a grid (rows x columns) when small, else its statistics;
    None when the value was never visible from Python."""
    shown = fmt.shown(nested, shape, summary, digits)
    if shown.rows is not None:
        frame = pd.DataFrame(shown.rows)
        frame.columns = [str(col) for col in frame.columns]
        return frame
    if nested is None and summary is None:
        return None
    stats = summary or fmt.summarize(nested)
    values = [stats.min, stats.mean, stats.max]
    show = fmt.number_format(values, digits)
    return pd.DataFrame({"statistic": ["min", "mean", "max"], "value": [show(v) for v in values]})


def as_markdown_table(frame: pd.DataFrame) -> pd.DataFrame:
    """`st.table` reads every cell as Markdown ("1." would become a list);
    escaped cells show exactly their text."""
    return frame.map(lambda cell: escape(cell) if isinstance(cell, str) else cell)


def node_label(node: Node, translate: Callable[[str], str] = _) -> str:
    """How a node is named in select boxes and tables (`translate`: see `i18n.translator`)."""
    what = node.op or (translate(N_("leaf tensor")) if node.kind == "leaf" else translate(N_("output")))
    return f"{node.name} · {what}" if node.name else what


def every_tensor(record: GraphRecord, digits: int | None, hidden: set[str] = frozenset()) -> pd.DataFrame:
    """One row per node of the graph (a quiz's `hidden` gradients as "?")."""
    return pd.DataFrame(
        {
            "id": node.id,
            "name": node.name or "",
            "op": node.op or node.kind,
            "shape": fmt.shape_text(node.shape),
            "value": fmt.inline(node.value, node.shape, node.value_summary, digits),
            "gradient": "?" if node.id in hidden
            else fmt.inline(node.grad, node.shape, node.grad_summary, digits),
            "leaf?": node.kind == "leaf",
            "requires_grad": node.requires_grad,
            "backward step": node.order,
        }
        for node in record.nodes
    ).astype({"backward step": "Int64"})


def tensors_panel(record: GraphRecord, digits: int | None,
                  hide_grad: Callable[[GraphRecord, str], bool] = lambda record, node_id: False) -> None:
    frame = every_tensor(record, digits, {node.id for node in record.nodes if hide_grad(record, node.id)})
    st.dataframe(frame, hide_index=True, width="stretch")
    st.download_button(_("Download as CSV"), frame.to_csv(index=False).encode("utf-8"),
                       file_name="tensors.csv", mime="text/csv", icon=":material/table:",
                       on_click="ignore")


def leaf_gradients(record: GraphRecord, digits: int | None) -> None:
    """The final `.grad` of every leaf that requires grad: the numbers the
    seed notebooks print."""
    leaves = [node for node in record.nodes if node.kind == "leaf" and node.requires_grad]
    if leaves:
        st.markdown("**" + _("Leaf gradients") + "**")
        frame = pd.DataFrame({"leaf": [node.name or node.id for node in leaves],
                              ".grad": [fmt.inline(node.grad, node.shape, node.grad_summary, digits)
                                        for node in leaves]})
        with st.container(key="leaf_grads"):
            st.table(as_markdown_table(frame), hide_index=True)
