"""Tensors as tables: one row per tensor for the whole graph, and a single
tensor's entries as a grid for the inspector.

Numbers are formatted by the core (`graphs.views.format`) so the tables read the
same as the figure and as torch's own print.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from components.i18n import N_, _
from components.markdown import escape
from graphs.record.model import GraphRecord, Node, Numbers, Pass, Summary
from graphs.views import format as fmt
from graphs.views.passes import GRAD_AFTER, SENT, NodeFacts, PassView


def tensor_frame(numbers: Numbers, shape: list[int], digits: int | None) -> pd.DataFrame | None:
    """A tensor as a grid (rows x columns) when small, else its statistics;
    None when the value was never visible from Python."""
    shown = fmt.shown(numbers, shape, digits)
    if shown.rows is not None:
        frame = pd.DataFrame(shown.rows)
        frame.columns = [str(col) for col in frame.columns]
        return frame
    if numbers is None:
        return None
    stats = numbers if isinstance(numbers, Summary) else fmt.summarize(numbers)
    if stats is None:  # no entries, and not a matrix shape to say "empty" in
        return None
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


def pass_name(run: Pass, translate: Callable[[str], str] = _) -> str:
    """`graphs.views.passes.pass_title` in the page's language: `Pass 2: y2.backward()  line 16`."""
    return translate(N_("Pass {number}: {call}")).format(number=run.index + 1, call=run.title or run.kind)


def view_title(view: PassView) -> str:
    """`PassView.title` in the page's language: which pass the numbers are from."""
    if not view.record.passes:
        return _("No backward pass yet: the graph has values, no gradients")
    if view.all:
        return _("All {count} passes").format(count=len(view.record.passes))
    return pass_name(view.chosen)


def grad_after_text(node: Node, facts: NodeFacts, digits: int | None) -> str:
    """A leaf's `.grad` as the program would print it: `None` where torch left it None."""
    if not facts.has_grad_after:
        return ""
    return "None" if facts.grad_after is None else fmt.inline(facts.grad_after, node.shape, digits)


def every_tensor(
    record: GraphRecord, view: PassView, digits: int | None, hidden: set[str] = frozenset()
) -> pd.DataFrame:
    """One row per node of the graph, with the gradients of the chosen view
    (a quiz's `hidden` gradients as "?")."""
    rows = []
    for node in record.nodes:
        facts = view.facts(node.id)
        secret = node.id in hidden
        rows.append(
            {
                "id": node.id,
                "name": node.name or "",
                "op": node.op or node.kind,
                "shape": fmt.shape_text(node.shape),
                "value": fmt.inline(node.value, node.shape, digits),
                "gradient (leaf: this pass sent)": "?"
                if secret
                else fmt.inline(facts.grad, node.shape, digits),
                GRAD_AFTER: "?" if secret else grad_after_text(node, facts, digits),
                "leaf?": node.kind == "leaf",
                "requires_grad": node.requires_grad,
                "backward step": facts.step,
            }
        )
    return pd.DataFrame(rows).astype({"backward step": "Int64"})


def tensors_panel(
    record: GraphRecord,
    digits: int | None,
    pass_index: int | None = None,
    hide_grad: Callable[[GraphRecord, str], bool] = lambda record, node_id: False,
) -> None:
    """Every tensor of the chosen view; `hide_grad(record, id)` keeps a quiz's answers out of sight."""
    view = PassView(record, pass_index)
    st.caption(escape(view_title(view)))
    hidden = {node.id for node in record.nodes if hide_grad(record, node.id)}
    frame = every_tensor(record, view, digits, hidden)
    st.dataframe(frame, hide_index=True, width="stretch")
    st.download_button(
        _("Download as CSV"),
        frame.to_csv(index=False).encode("utf-8"),
        file_name="tensors.csv",
        mime="text/csv",
        icon=":material/table:",
        on_click="ignore",
    )


def leaf_gradients(record: GraphRecord, digits: int | None, pass_index: int | None = None) -> None:
    """Every leaf that requires grad: what the chosen pass sent into it, and
    its `.grad` after the pass (the numbers the seed notebooks print)."""
    leaves = [node for node in record.nodes if node.kind == "leaf" and node.requires_grad]
    view = PassView(record, pass_index)
    if not view.passes:
        st.info(escape(view_title(view)), icon=":material/info:")  # not zeros: no gradient exists yet
    if not leaves or not view.passes:
        return
    facts = [view.facts(node.id) for node in leaves]
    st.markdown("**" + _("Leaf gradients") + f"** · {escape(view_title(view))}")
    columns = {"leaf": [node.name or node.id for node in leaves]}
    if not view.all:
        columns[SENT] = [fmt.inline(f.grad, n.shape, digits) for n, f in zip(leaves, facts, strict=True)]
    columns[".grad at the end" if view.all else GRAD_AFTER] = [
        grad_after_text(n, f, digits) for n, f in zip(leaves, facts, strict=True)
    ]
    with st.container(key="leaf_grads"):
        st.table(as_markdown_table(pd.DataFrame(columns)), hide_index=True)
