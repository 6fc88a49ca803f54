"""A failing program's graph up to the failing line, drawn under its error.

The student sees the graph the error is about: after a second `backward()`
without `retain_graph=True`, the node whose saved tensors are gone says so,
and the error above keeps torch's own hint.
"""

from __future__ import annotations

import streamlit as st

from components.i18n import _
from components.options import ViewOptions
from components.pipeline import VIEW_LAYOUT_S
from graphs.export import ExportError, export
from graphs.record import GraphRecord
from graphs.render import dot_source


def failed_view(record: GraphRecord, options: ViewOptions) -> None:
    st.caption(_("The graph as it stood when the program failed"))
    dot = dot_source(record, options.render_options(options.directions()[0]))  # "auto": top to bottom
    try:
        svg = export(dot, "svg", timeout=VIEW_LAYOUT_S).decode("utf-8")
    except ExportError as err:
        st.warning(_("The graph could not be drawn: {problem}").format(problem=err))
        return
    with st.container(key="failed_graph"):
        st.html(svg)
