"""Downloads for slides and notes: SVG, PNG at a chosen DPI, PDF, DOT and the
JSON record, all of the figure as currently shown (theme and options)."""
from __future__ import annotations

import streamlit as st

from components.pipeline import Figure, export_bytes
from graphs.record import GraphRecord

# None lets the core scale the figure to fill a 1920x1080 slide whatever its
# size; a fixed dpi keeps Graphviz's natural size (72 points per inch).
DPI_CHOICES = {None: "Fit a 1080p slide", 96: "96 dpi (screen)", 150: "150 dpi", 300: "300 dpi (print)"}


def export_panel(record: GraphRecord, figure: Figure, stem: str) -> None:
    """Download buttons; Graphviz formats only when `dot` could lay the graph out."""
    columns = st.columns(5, vertical_alignment="bottom")
    if figure.svg is not None:
        with columns[0]:
            st.download_button("SVG", figure.svg.encode("utf-8"), file_name=f"{stem}.svg",
                               mime="image/svg+xml", icon=":material/download:", on_click="ignore")
        with columns[1]:
            dpi = st.selectbox("PNG size", list(DPI_CHOICES), format_func=DPI_CHOICES.get, key="png_dpi")
            st.download_button("PNG", export_bytes(figure.dot, "png", dpi), file_name=f"{stem}.png",
                               mime="image/png", icon=":material/download:", on_click="ignore")
        with columns[2]:
            st.download_button("PDF", export_bytes(figure.dot, "pdf"), file_name=f"{stem}.pdf",
                               mime="application/pdf", icon=":material/download:", on_click="ignore")
    else:
        columns[0].caption("SVG, PNG and PDF need Graphviz's `dot`.")
    with columns[3]:
        st.download_button("DOT", figure.dot.encode("utf-8"), file_name=f"{stem}.dot",
                           mime="text/vnd.graphviz", icon=":material/download:", on_click="ignore")
    with columns[4]:
        st.download_button("JSON record", record.to_json().encode("utf-8"), file_name=f"{stem}.json",
                           mime="application/json", icon=":material/download:", on_click="ignore")
