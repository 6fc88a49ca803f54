"""A failing program's graph up to the failing line, drawn under its error.

The student sees the graph the error is about: after a second `backward()`
without `retain_graph=True`, the node whose saved tensors are gone says so,
and the error above keeps torch's own hint; after an in-place change of a
tensor saved for backward, the op that saved it names the versions. Each
note is also listed under the graph in the page's language.

The figure is cached like a successful program's (`components.cache`, keyed
by the program text and the view options): a rerun with nothing changed
does not run `dot` again, and the partial record comes from the cached run
(`pipeline.run`), the same worker call that reported the error.
"""

from __future__ import annotations

import streamlit as st

from components.cache import cached
from components.display import ViewOptions, toolbar_labels
from components.graph_view import graph_view
from components.i18n import _, translator
from components.markdown import escape
from components.pipeline import Figure, figures_bytes, on_page, run
from components.tables import node_label
from graphs.render import dot_source
from graphs.render.fit import Layout
from graphs.views.pitfalls import node_notes


@cached(lambda found: figures_bytes((found,)))
def failed_figure(source: str, options: ViewOptions) -> Figure:
    """The failing program's graph so far, laid out once per program and view
    options; a layout that failed is an answer too (`problem`), as for a
    successful program's figures."""
    record = run(source).partial  # cached: the run that reported the error
    rankdir = options.directions()[0]  # "auto": top to bottom
    dot = dot_source(record, options.render_options(rankdir))
    return on_page(Figure(dot, None), Layout(rankdir, 1, dot))


def failed_view(source: str, options: ViewOptions) -> None:
    """Under the error: the graph of `run(source).partial`, which the caller checked exists."""
    st.caption(_("The graph as it stood when the program failed"))
    figure = failed_figure(source, options)
    if figure.svg is None:
        st.warning(_("The graph could not be drawn: {problem}").format(problem=figure.problem))
        return
    # The graph component (zoom, pan, projector), not st.html: the browser showed st.html's SVG empty.
    graph_view(
        figure.svg,
        None,
        on_click=lambda node_id: None,
        hint=_("Scroll to zoom · drag to pan"),
        labels=toolbar_labels(),
        key="failed_graph",
    )
    t = translator()
    record = run(source).partial
    for node_id, note in node_notes(record).items():
        label = node_label(record.node(node_id), t)
        st.caption(f"**{escape(label)}** · {escape(note.translated(t))}")
