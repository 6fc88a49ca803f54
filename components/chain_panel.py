"""The chain rule at the inspected node, for one pass (the core's `graphs.views.chain`).

An op shows the gradient that came in, its local derivative per input (a
LaTeX formula and the Jacobian torch used), and each outgoing gradient
worked out as Jacobianᵀ · incoming next to what autograd sent, with ✓ when
they agree. A node fed by several edges shows each partial gradient and
their sum.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

from components.i18n import _
from components.markdown import escape
from components.tables import as_markdown_table, node_label, tensor_frame
from graphs.record.model import GraphRecord, Nested, Node, Pass, listed
from graphs.views import format as fmt
from graphs.views.chain import edge_rules, formula, full_jacobians, partials, revealed_row


def _shape(nested: Nested) -> list[int]:
    """The shape of a nested list (edge gradients are stored without shapes)."""
    shape = []
    while isinstance(nested, list):
        shape.append(len(nested))
        nested = nested[0] if nested else None
    return shape


def _grid(nested: Nested, digits: int | None) -> None:
    frame = tensor_frame(nested, _shape(nested), digits)
    if frame is None:
        st.caption(_("not kept (over 256 entries), or no gradient flowed"))
    else:
        st.table(as_markdown_table(frame), hide_index=True)


def jacobian_panel(record: GraphRecord, run: Pass, node: Node, digits: int | None) -> None:
    """The whole Jacobian of a vector output with respect to each leaf, composed
    from the pass's local Jacobians; rows a one-hot pass revealed are named."""
    if node.kind != "output" or node.id not in run.roots or math.prod(node.shape) < 2:
        return
    found = full_jacobians(record, run)
    if not found:
        return
    revealed = {
        row: _("pass {number}").format(number=other.index + 1)
        for other in record.passes
        if other.roots == [node.id] and (row := revealed_row(other)) is not None
    }
    with st.expander(_("Jacobian of this output"), expanded=True), st.container(key="full_jacobian"):
        st.caption(
            _(
                "d(output entry)/d(leaf entry), composed from the local Jacobians; "
                "a pass with a one-hot gradient reveals one row"
            )
        )
        for leaf_id, matrix in found.items():
            leaf = node_label(record.node(leaf_id))
            st.markdown(f"**∂ {escape(node.name or _('output'))} / ∂ {escape(leaf)}**")
            frame = tensor_frame(matrix.tolist(), list(matrix.shape), digits)
            frame.insert(
                0,
                _("row"),
                [f"{row} ← {revealed[row]}" if row in revealed else str(row) for row in range(len(frame))],
            )
            st.table(as_markdown_table(frame), hide_index=True)


def chain_panel(record: GraphRecord, run: Pass, node: Node, digits: int | None) -> None:
    jacobian_panel(record, run, node, digits)
    arrived = partials(record, run, node.id)
    if len(arrived) > 1:
        with st.container(key="fan_out"):
            st.markdown(
                _("**{count} gradients arrived here, and they add up** (fan-out)").format(count=len(arrived))
            )
            rows = [
                {
                    _("from"): node_label(record.node(p.source)),
                    _("gradient"): fmt.inline(p.grad, _shape(p.grad), digits),
                }
                for p in arrived
            ]
            total = np.sum([np.asarray(p.grad, dtype=float) for p in arrived], axis=0)
            rows.append(
                {
                    _("from"): _("sum"),
                    _("gradient"): fmt.inline(total.tolist(), list(total.shape), digits),
                }
            )
            st.table(as_markdown_table(pd.DataFrame(rows)), hide_index=True)
    rules = edge_rules(record, run, node.id) if node.kind == "op" and node.id in run.grads else []
    if not rules:
        return
    with st.expander(_("Chain rule at this node"), expanded=True), st.container(key="chain_rule"):
        if formula(node.op):
            st.latex(formula(node.op))
        st.markdown(_("Incoming gradient ∂L/∂out"))
        _grid(listed(run.grads.get(node.id)), digits)
        for rule in rules:
            st.markdown(f"**→ {escape(node_label(record.node(rule.input)))}**")
            if rule.formula:
                st.latex(rule.formula)
            if rule.jacobian is not None:
                st.caption(_("local Jacobian ∂out/∂input (rows: output entries, columns: input entries)"))
                _grid(rule.jacobian, digits)
            left, right = st.columns(2)
            with left:
                st.caption(_("Jᵀ · incoming"))
                _grid(rule.computed, digits)
            with right:
                st.caption(_("what autograd sent"))
                _grid(rule.sent, digits)
            if rule.agrees is True:
                st.markdown(":green[" + _("✓ the chain rule gives exactly what autograd sent") + "]")
            elif rule.agrees is False:
                gap = np.max(np.abs(np.ravel(rule.computed) - np.ravel(np.asarray(rule.sent, dtype=float))))
                differs = _("✗ differs from what autograd sent by up to {gap}").format(gap=f"{gap:.3g}")
                st.markdown(f":red[{differs}]")
