"""Downloads for slides and notes: SVG, PNG at a chosen DPI, PDF, DOT and the
JSON record, all of the figure as currently shown (theme and options).

PNG, PDF and JSON are made only when their button is clicked (Streamlit calls
the callable then), so drawing a new graph costs one `dot` run, not three."""
from __future__ import annotations

from functools import partial

import streamlit as st

from components.pipeline import Figure, export_bytes
from graphs.record import GraphRecord

# "Fit a 1080p slide" (dpi None) lets the core scale the figure to fill a
# 1920x1080 slide whatever its size; a fixed dpi keeps Graphviz's natural size.
PNG_SIZES: dict[str, int | None] = {"Fit a 1080p slide": None, "96 dpi (screen)": 96,
                                    "150 dpi": 150, "300 dpi (print)": 300}


def export_panel(record: GraphRecord, figure: Figure, stem: str) -> None:
    """Download buttons; Graphviz formats only when `dot` could lay the graph out."""
    if figure.svg is None:
        st.caption("No SVG, PNG or PDF: Graphviz could not lay this graph out here "
                   "(see the message above the tabs). The DOT file and the record are below.")
    else:
        size = st.selectbox("PNG size", list(PNG_SIZES), key="png_size", width=260)
        st.caption("Files use the theme chosen in the sidebar (*Slides*: large type, high contrast).")
    columns = iter(st.columns(5))
    if figure.svg is not None:
        with next(columns):
            st.download_button("SVG", figure.svg.encode("utf-8"), file_name=f"{stem}.svg",
                               mime="image/svg+xml", icon=":material/download:", on_click="ignore")
        with next(columns):
            st.download_button("PNG", partial(export_bytes, figure.dot, "png", PNG_SIZES[size]),
                               file_name=f"{stem}.png", mime="image/png",
                               icon=":material/download:", on_click="ignore")
        with next(columns):
            st.download_button("PDF", partial(export_bytes, figure.dot, "pdf"), file_name=f"{stem}.pdf",
                               mime="application/pdf", icon=":material/download:", on_click="ignore")
    with next(columns):
        st.download_button("DOT", figure.dot.encode("utf-8"), file_name=f"{stem}.dot",
                           mime="text/vnd.graphviz", icon=":material/download:", on_click="ignore")
    with next(columns):
        st.download_button("JSON record", record.to_json, file_name=f"{stem}.json",
                           mime="application/json", icon=":material/download:", on_click="ignore")
