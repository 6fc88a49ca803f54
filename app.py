"""Autograd Explorer: pick or type a small PyTorch program and see its
autograd graph with every node's forward value and gradient.

This file only lays the page out and wires the components together; the
work happens in `components/` (UI pieces) and `graphs/` (the core).
"""
from __future__ import annotations

import streamlit as st

from components import options as display
from components import pipeline, share
from components.check_panel import check_panel
from components.export_panel import export_panel
from components.failed_view import failed_view
from components.graph_view import fallback_view, graph_view
from components.inspector import inspector, select, selected
from components.loss_curve import loss_curve, optimizer_steps
from components.markdown import code_block, escape
from components.picker import (DEFAULT_ENTRY, ENTRY_KEY, RAN_KEY, catalogue_sidebar, editor,
                               explanation, load, load_typed)
from components.player_view import player_view
from components.tables import leaf_gradients, tensors_panel
from graphs.catalogue import CATALOGUE
from graphs.sandbox import trusted

st.set_page_config(page_title="Autograd Explorer", page_icon=":material/account_tree:", layout="wide")


def first_visit() -> None:
    """Open the view a link describes, or the default lesson, once per session."""
    if RAN_KEY in st.session_state:
        return
    slug, source, options = share.from_params(st.query_params)
    display.restore(options)
    if slug in {entry.slug for entry in CATALOGUE}:
        load(slug)
    elif source is not None:
        load_typed(source)
    else:
        load(DEFAULT_ENTRY)


def show_error(source: str, run: pipeline.Run) -> None:
    """One message: what went wrong and the line it happened on."""
    lines = source.splitlines()
    quoted = "\n\n" + code_block(lines[run.line - 1]) if run.line and run.line <= len(lines) else ""
    st.error(f"{escape(run.error)}{quoted}", icon=":material/error:")
    if run.prints:
        with st.expander(f"Printed before the error ({len(run.prints)} print calls)"):
            st.code("\n".join(run.prints), language=None)


first_visit()
with st.sidebar:
    st.title("Autograd Explorer")
    catalogue_sidebar()

source = st.session_state[RAN_KEY]
result = pipeline.run(source)
record = result.record
with st.sidebar:
    options = display.sidebar(record.passes if record else [])

entry = st.session_state.get(ENTRY_KEY)
title, link = st.columns([6, 1], vertical_alignment="bottom")
title.markdown("### See every value and gradient of a PyTorch autograd graph")
with link:
    share.copy_link(entry, source, options)
explanation()
if trusted():
    st.info("Trusted mode: programs may read files (AUTOGRAD_EXPLORER_TRUSTED=1).", icon=":material/lock_open:")

code_column, graph_column = st.columns([2, 3])
with code_column:
    editor()
    if record is None:
        show_error(source, result)
    else:
        for warning in record.warnings:
            st.warning(f"torch warned, {escape(warning)}", icon=":material/warning:")
        leaf_gradients(record, options.digits, options.pass_index)
        loss_curve(record)
        optimizer_steps(record)
        if record.prints:
            with st.expander(f"Printed output ({len(record.prints)} print calls)"):
                st.code("\n".join(record.prints), language=None)

if record is None and result.partial is not None:
    with graph_column:
        failed_view(result.partial, options)
if record is not None:
    figure = pipeline.figure(source, options)
    node_ids = {node.id for node in record.nodes}
    with graph_column:
        stepping = figure.svg is not None and not options.classic and st.toggle(
            "Step through backward", key="stepping",
            help="◀ ▶, play, or the arrow keys: the pass node by node")
        if stepping:
            player_view(record, figure.svg, options.pass_index, options.theme, on_step=select,
                        name=entry or "program")
        elif figure.svg is not None:
            graph_view(figure.svg, selected(record),
                       on_click=lambda node_id: select(node_id) if node_id in node_ids else None)
            st.caption("Scroll to zoom · drag to pan · double-click or *Fit* for the whole graph · "
                       "*Fullscreen* for the projector · click a node to inspect it")
        else:
            fallback_view(figure.dot, figure.problem, figure.dot_missing)

    inspect_tab, table_tab, check_tab, export_tab = st.tabs(
        [":material/search: Inspect a node", ":material/table: Every tensor",
         ":material/rule: Check gradients", ":material/download: Export"])
    with inspect_tab:
        inspector(record, options.digits, options.pass_index)
    with table_tab:
        tensors_panel(record, options.digits, options.pass_index)
    with check_tab:
        check_panel(source, record, options.pass_index)
    with export_tab:
        export_panel(record, figure, entry or "program")

share.sync_url(entry, source, options)
