"""The graph itself: the core's SVG, large, with zoom, pan, a projector
button and click-to-select.

It is a `st.components.v2` component (HTML, CSS and JavaScript in the
`graph_view.*` files beside this module) on top of the pan/zoom code it
shares with the notebook view. The SVG shown is exactly the one the export
panel offers, so what the teacher sees is what goes on the slide. A click on
a node sends its id ("n3") back as a trigger value; the frame's size and
whether it is on the projector come back as state, and decide the layout
(`pipeline.figure`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from graphs import web

KEY = "graph"


# Zoom, pan and click-a-node are shared with the notebook view (one file,
# graphs/web/panzoom.js); graph_view.js is only this component's glue.
_GRAPH = st.components.v2.component(
    "autograd_graph",
    html=web.text("graph_view.html"),
    css=web.text("graph_view.css"),
    js=web.text("panzoom.js") + web.text("graph_view.js"),
)


@dataclass(frozen=True)
class Screen:
    """Where the graph is shown, as the browser last reported it."""

    box: tuple[int, int] | None = None  # CSS pixels of the drawing area; None before the first report
    projector: bool = False  # fullscreen, from the Projector button


def screen(key: str = KEY) -> Screen:
    view = (st.session_state.get(key) or {}).get("view")
    if not view:
        return Screen()
    width, height = view["box"]
    return Screen((int(width), int(height)), bool(view.get("projector")))


def graph_view(
    svg: str,
    selected: str | None,
    on_click: Callable[[str], None],
    hint: str,
    labels: dict[str, tuple[str, str]],
    key: str = KEY,
) -> None:
    """Show the SVG; `on_click(node_id)` runs (as a callback) when a node is clicked.
    `labels` names the toolbar buttons (text, tooltip) in the page's language."""

    def clicked() -> None:
        node_id = st.session_state[key].get("clicked")
        if node_id:
            on_click(node_id)

    _GRAPH(
        key=key,
        data={"svg": svg, "selected": selected, "hint": hint, "labels": labels},
        on_clicked_change=clicked,
        on_view_change=lambda: None,
    )


def fallback_view(dot: str, problem: str, dot_missing: bool) -> None:
    """Without the `dot` binary the browser lays the graph out itself. When
    `dot` exists but gave up (a layout time limit), the browser would not do
    better, so only the reason is shown."""
    if dot_missing:
        st.graphviz_chart(dot, width="stretch")
        st.info(f"Export needs Graphviz: {problem}")
    else:
        st.warning(f"The graph could not be drawn: {problem}")
