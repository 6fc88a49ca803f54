"""Autograd Explorer: pick or type a small PyTorch program and see its
autograd graph with every node's forward value and gradient.

This file only lays the page out and wires the components together; the
work happens in `components/` (UI pieces) and `graphs/` (the core).

The layout is graph first: one row of controls (catalogue, display,
quiz, language, share), the lesson's explanation collapsed under it, then the
graph filling the screen with a side pane beside it (the inspector with the
chain rule, the program editor, every tensor and the gradient check, exports).
A toggle swaps the graph for a step-through player of the backward pass; a
failing program shows its error and its graph up to the failing line. On a
phone the columns stack, the graph on top.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import streamlit as st

from components import code_link, display, folding_panel, guard, i18n, pipeline, quiz, running, share
from components.check_panel import check_panel
from components.export_panel import export_panel
from components.failed_view import failed_view
from components.findings_panel import findings_panel
from components.graph_view import fallback_view, graph_view, screen
from components.health_strip import health_strip
from components.i18n import _
from components.inspector import inspector, select, selected
from components.live_edit import live_edit
from components.loss_curve import loss_curve, optimizer_steps
from components.markdown import code_block, escape
from components.picker import (
    DEFAULT_ENTRY,
    ENTRY_KEY,
    RAN_KEY,
    catalogue_menu,
    editor,
    explanation,
    load,
    load_typed,
    stale,
)
from components.player_view import player_view
from components.tables import leaf_gradients, tensors_panel
from graphs import web
from graphs.catalogue import CATALOGUE
from graphs.sandbox import trusted

HERE = Path(__file__).resolve().parent
PANE_KEY = "pane"
SCREEN_KEY = "last_screen"
PANES = ("inspect", "program", "tensors", "export")

# A local icon: a Material one is fetched from fonts.gstatic.com, and the demo has no internet.
st.set_page_config(
    page_title="Autograd Explorer",
    page_icon=web.path("favicon.svg"),
    layout="wide",
    initial_sidebar_state="collapsed",
)
st.html(Path(web.path("page.css")))


def first_visit() -> None:
    """Open the view a link describes, or the default lesson, once per session."""
    if RAN_KEY in st.session_state:
        return
    slug, source, options = share.from_params(st.query_params)
    display.restore(options)
    quiz.restore(st.query_params)
    if slug in {entry.slug for entry in CATALOGUE}:
        load(slug)
    elif source is not None:
        load_typed(source)
    else:
        load(DEFAULT_ENTRY)
    if options.folding is not None:
        folding_panel.remember(st.session_state[RAN_KEY], options.folding)


def show_error(source: str, run: pipeline.Run) -> None:
    """One message: what went wrong and the line it happened on."""
    lines = source.splitlines()
    quoted = "\n\n" + code_block(lines[run.line - 1]) if run.line and run.line <= len(lines) else ""
    if run.stopped:  # what the user asked for, not an error
        st.info(f"{escape(run.error)}{quoted}", icon=":material/stop_circle:")
    else:
        st.error(f"{escape(run.error)}{quoted}", icon=":material/error:")
    if run.prints:
        with st.expander(_("Printed before the error ({count} print calls)").format(count=len(run.prints))):
            st.code("\n".join(run.prints), language=None)


def inspect_node(node_id: str) -> None:
    """A click on the graph: inspect that node, in the pane beside the graph
    (the program pane stays, and marks the line that made the node)."""
    select(node_id)
    code_link.link_node(record, node_id)
    if st.session_state.get(PANE_KEY) != "program":
        st.session_state[PANE_KEY] = "inspect"


def clicked(node_id: str) -> None:
    """A click on the graph: a node is inspected, a folded module opened or closed."""
    if node_id in {node.id for node in record.nodes}:
        inspect_node(node_id)
    elif folding_panel.is_module_click(node_id):
        folding_panel.click(record, options, source, node_id)


i18n.restore(st.query_params)
first_visit()
source = st.session_state[RAN_KEY]
with st.container(key="progress"):  # a long run's progress and Stop (always there: see running)
    result = running.run(source)
record = result.record
entry = st.session_state.get(ENTRY_KEY)

with st.container(horizontal=True, vertical_alignment="center", key="topbar"):
    st.markdown("**" + _("Autograd Explorer") + "**", width="content")
    catalogue_menu()
    with st.popover(_("Display"), icon=":material/tune:"):
        options = display.controls(record.passes if record else [])
    options = folding_panel.with_folding(options, source)
    quiz.toggle()
    i18n.switch()
    share.copy_link(entry, source, options, quiz.enabled(), i18n.language())
with st.container(key="explanation"):  # always there, so the elements after it keep their place
    explanation()  # (a shifted element is re-mounted: the editor lost focus)
if trusted():
    st.info(
        _("Trusted mode: programs may read files (AUTOGRAD_EXPLORER_TRUSTED=1)."), icon=":material/lock_open:"
    )

graph_column, side_column = st.columns([5, 2], gap="small")
with graph_column, guard.part(_("drawing the graph")):
    with st.container(key="stale"):
        if stale():
            st.caption(_(":material/edit: Edited — not run yet: the graph shows the last run."))
    if record is None:
        show_error(source, result)
        if result.partial is not None:
            failed_view(source, options)
            if result.stopped:
                loss_curve(result.partial)
    else:
        # The graph's last report: while the player replaces the graph, Streamlit drops the
        # graph's state, and a different layout would restart the player at step 0.
        reported = screen()
        view = st.session_state[SCREEN_KEY] = (
            reported if reported.box else st.session_state.get(SCREEN_KEY, reported)
        )
        shown = replace(
            display.projected(options) if view.projector else options, highlight=code_link.highlight(record)
        )
        figure = pipeline.figure(source, quiz.hiding(shown, record), view.box or pipeline.DEFAULT_BOX)
        quizzing = bool(quiz.hidden(record))  # the player shows every gradient as it flows
        stepping = (
            figure.svg is not None
            and not options.classic
            and st.toggle(
                _("Step through backward"),
                key="stepping",
                disabled=quizzing,
                help=_("◀ ▶, play, or the arrow keys: the pass node by node"),
            )
        )
        if stepping and not quizzing:
            player_view(
                record,
                figure.svg,
                options.pass_index,
                shown.theme,
                on_step=inspect_node,
                name=entry or "program",
                folded=folding_panel.state(record, options)[0],  # the view the figure is drawn from
            )
        elif figure.svg is not None:
            graph_view(
                figure.svg,
                selected(record),
                on_click=clicked,
                hint=_("Scroll to zoom · drag to pan · click a node to inspect it"),
                labels=display.toolbar_labels(),
            )
        else:
            fallback_view(figure.dot, figure.problem, figure.dot_missing)

with side_column, guard.part(_("showing the side pane")):
    if PANE_KEY not in st.session_state or (record is None and st.session_state[PANE_KEY] != "program"):
        st.session_state[PANE_KEY] = "inspect" if record is not None else "program"
    names = {"inspect": _("Inspect"), "program": _("Program"), "tensors": _("Tensors"), "export": _("Export")}
    pane = st.segmented_control(
        _("Pane"),
        PANES,
        format_func=names.get,
        key=PANE_KEY,
        label_visibility="collapsed",
        required=True,
        width="stretch",
    )
    if pane == "program" or record is None:
        editor(result.line if record is None else None)
    elif pane == "inspect":
        if quiz.enabled():
            quiz.panel(record, options.pass_index)
        inspector(record, options.digits, options.pass_index, hide_grad=quiz.hides_grad)
        if not options.classic:
            folding_panel.module_controls(record, options, source, selected(record))
            folding_panel.repetition_picker(record, options, source)
        live_edit(record, source)
    elif pane == "tensors":  # every tensor, then every leaf's gradient checked
        tensors_panel(record, options.digits, options.pass_index, hide_grad=quiz.hides_grad)
        st.markdown("**" + _("Gradient check") + "**")
        if quiz.hidden(record):  # the check prints every leaf's gradient
            st.info(_("Hidden while the quiz hides gradients."), icon=":material/quiz:")
        else:
            check_panel(source, record, options.pass_index)
    else:
        secret = quiz.hidden(record)  # a quiz's exports are handouts: no answers in them
        slide = pipeline.figure(source, options, pipeline.SLIDE_BOX)
        export_panel(
            record,
            quiz.worksheet(figure, secret),
            quiz.worksheet(slide, secret),
            entry or "program",
            answers_hidden=bool(secret),
        )

if record is not None:
    with graph_column, guard.part(_("showing the tables under the graph")):
        for warning in record.warnings:
            st.warning(
                _("torch warned, {warning}").format(warning=escape(warning)), icon=":material/warning:"
            )
        findings_panel(record)
        if not quiz.enabled():  # a quiz's gradients are the students' to work out
            health_strip(record, options)
            leaf_gradients(record, options.digits, options.pass_index)
        loss_curve(record)
        optimizer_steps(record)
        if record.prints:
            with st.expander(_("Printed output ({count} print calls)").format(count=len(record.prints))):
                st.code("\n".join(record.prints), language=None)

share.sync_url(entry, source, options, quiz.enabled(), i18n.language())
