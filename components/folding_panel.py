"""Module folding in the app: which modules (and iterations of the program's
loops, `loop@L12@37`: graphs.record.loops) are open, per program, and the
clicks and buttons that open and close them.

The state is a set of module keys (`graphs.views.folding`) kept in session state
per program text, so switching lessons and coming back keeps each one's
view, and an edited program starts from its own first view. Until the first
click it is None: the automatic view (folded when large). A click on a
collapsed box ("m3") expands it in place; a click on an expanded module's
cluster label ("cluster_m3"), or *Collapse* beside the inspected node,
collapses it again.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

import streamlit as st

from components import pipeline
from components.display import ViewOptions
from components.i18n import N_, _
from graphs.record.model import GraphRecord
from graphs.render.boxes import box_word
from graphs.views.folding import BOX_PREFIX, CLUSTER_PREFIX, FoldedView, key_of

STATE_KEY = "folding"
# The repetition picker's title, by the kinds of run it lists: a ×N box is
# repeated calls of a module or repeated iterations of a loop (graphs.render.boxes).
RUNS_TITLES = {
    frozenset({"module"}): N_("Repeated modules ({count})"),
    frozenset({"loop"}): N_("Repeated loop iterations ({count})"),
    frozenset({"module", "loop"}): N_("Repeated modules and loop iterations ({count})"),
}


def _program(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def current(source: str) -> frozenset[str] | None:
    """The folding state of this program (None: automatic)."""
    return st.session_state.get(STATE_KEY, {}).get(_program(source))


def remember(source: str, keys: frozenset[str] | None) -> None:
    st.session_state.setdefault(STATE_KEY, {})[_program(source)] = keys


def with_folding(options: ViewOptions, source: str) -> ViewOptions:
    """The display options with this program's folding state."""
    return replace(options, folding=current(source))


def state(record: GraphRecord, options: ViewOptions) -> tuple[FoldedView | None, frozenset[str]]:
    """The folded view the figure of these options is drawn from (None: unfolded)
    and the keys open in it: the figure's own (`pipeline.folding`, the object
    `Figure.folding` holds), not worked out again. `record` is `pipeline.run`'s."""
    return _state(record.source, options)


def _state(source: str, options: ViewOptions) -> tuple[FoldedView | None, frozenset[str]]:
    found = pipeline.folding(source, options)
    return found.view, found.keys


def is_module_click(item_id: str) -> bool:
    return item_id.startswith(BOX_PREFIX) or item_id.startswith(CLUSTER_PREFIX)


def click(record: GraphRecord, options: ViewOptions, source: str, item_id: str) -> None:
    """A click on a box expands it (a ×N box: its last repetition); on a cluster's label collapses it."""
    view, keys = _state(source, options)
    if view is None:
        return
    box, cluster = view.box(item_id), view.cluster(item_id)
    if box is not None:
        remember(source, keys | {box.expand})
    elif cluster is not None:
        remember(source, keys - {cluster.key})


def module_controls(record: GraphRecord, options: ViewOptions, source: str, node_id: str) -> None:
    """The modules the inspected node sits in, innermost first, each with a
    *Collapse* button; a ×N box's repetition can be chosen here too."""
    calls = record.modules
    index_of = {(call.path, call.call): i for i, call in enumerate(calls)}
    node = next((n for n in record.nodes if n.id == node_id), None)
    index = None if node is None else index_of.get((node.module, node.call))
    if index is None:
        return
    keys = _state(source, options)[1]
    with st.container(key="node_modules"):
        st.markdown("**" + _("Made inside") + "**")
        while index is not None:
            call = calls[index]
            key = key_of(call)
            text, button = st.columns([3, 1], vertical_alignment="center")
            text.caption(f"`{key}` · {call.kind}")
            if button.button(_("Collapse"), key=f"collapse_{key}", width="stretch"):
                remember(source, keys - {key})
                st.rerun()
            index = call.parent


def repetition_picker(record: GraphRecord, options: ViewOptions, source: str) -> None:
    """Open any one repetition of a ×N box (a click opens the last), of a module or a loop."""
    view, keys = _state(source, options)
    runs = [box for box in (view.boxes if view else ()) if box.count > 1]
    if not runs:
        return
    title = RUNS_TITLES[frozenset(box_word(record, box) for box in runs)]
    with st.expander(_(title).format(count=len(runs))):
        for box in runs:
            members = [key_of(record.modules[i]) for i in box.members]
            choice = st.selectbox(
                f"{box.title} ×{box.count}",
                members,
                index=len(members) - 1,
                key=f"repeat_{box.id}",
            )
            if st.button(_("Open this one"), key=f"open_{box.id}"):
                remember(source, keys | {choice})
                st.rerun()
