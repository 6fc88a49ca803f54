"""Downloads for slides and notes: SVG, PNG at a chosen DPI, PDF, DOT and the
JSON record, all of the figure as currently shown (theme and options)."""
from __future__ import annotations

import streamlit as st

from components.pipeline import Figure, export_bytes
from graphs.record import GraphRecord

# 144 dpi is twice Graphviz's 72-point unit: a typical graph comes out
# 1000-1900 px wide, which fills a 1920x1080 slide without upscaling.
DPI_CHOICES = {96: "96 (screen)", 144: "144 (1080p slide)", 200: "200", 300: "300 (print)"}
DEFAULT_DPI = 144


def export_panel(record: GraphRecord, figure: Figure, stem: str) -> None:
    """Download buttons; Graphviz formats only when `dot` could lay the graph out."""
    columns = st.columns(5, vertical_alignment="bottom")
    if figure.svg is not None:
        with columns[0]:
            st.download_button("SVG", figure.svg.encode("utf-8"), file_name=f"{stem}.svg",
                               mime="image/svg+xml", icon=":material/download:", on_click="ignore")
        with columns[1]:
            dpi = st.selectbox("PNG resolution (dpi)", list(DPI_CHOICES), format_func=DPI_CHOICES.get,
                               index=list(DPI_CHOICES).index(DEFAULT_DPI), key="png_dpi")
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
