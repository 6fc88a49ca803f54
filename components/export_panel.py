"""Downloads for slides and notes: SVG, PNG (a 1080p slide or a chosen DPI),
PDF (a 16:9 page), DOT and the JSON record, all in the theme as shown.

The slide files use the layout that fills a 16:9 screen (`pipeline.figure`
with the slide's box) when the direction is *Fit the screen*; the SVG is the
figure exactly as on screen. PNG, PDF and JSON are made only when their
button is clicked (Streamlit calls the callable then), so drawing a new graph
costs no export."""

from __future__ import annotations

from functools import partial

import streamlit as st

from components.i18n import _
from components.pipeline import Figure, export_bytes
from graphs.record.model import GraphRecord
from graphs.render.export import MAX_PIXELS
from graphs.render.fit import svg_size

SLIDE = "slide"
PNG_SIZES: dict[str, int | None] = {SLIDE: None, "96": 96, "150": 150, "300": 300}


def _size_names() -> dict[str, str]:
    return {
        SLIDE: _("1920×1080 slide"),
        "96": _("96 dpi (screen)"),
        "150": "150 dpi",
        "300": _("300 dpi (print)"),
    }


def capped_dpi(figure: Figure, dpi: int) -> float | None:
    """The DPI a PNG really gets when the size cap shrinks it, else None."""
    longest = max(svg_size(figure.svg)) / 96  # inches at Graphviz's natural size
    return MAX_PIXELS / longest if longest * dpi > MAX_PIXELS else None


def export_panel(
    record: GraphRecord, figure: Figure, slide: Figure, stem: str, answers_hidden: bool = False
) -> None:
    """Download buttons; Graphviz formats only when `dot` could lay the graph out.

    While a quiz hides gradients, the figures come in masked (`quiz.worksheet`)
    and the JSON record, which holds every answer, is not offered."""
    if figure.svg is None:
        st.caption(
            _(
                "No SVG, PNG or PDF: Graphviz could not lay this graph out here "
                "(see the message beside the graph). The DOT file and the record are below."
            )
        )
    else:
        size = st.selectbox(_("PNG size"), list(PNG_SIZES), key="png_size", format_func=_size_names().get)
        dpi = PNG_SIZES[size]
        real = None if dpi is None else capped_dpi(figure, dpi)
        if real is not None:
            st.caption(
                _("Capped at {pixels} px per side: this graph comes out at about {dpi} dpi.").format(
                    pixels=MAX_PIXELS, dpi=int(real)
                )
            )
        st.caption(
            _(
                "Files use the theme chosen under Display (*Slides*: large type, high contrast); "
                "the slide PNG and the PDF are laid out to fill a 16:9 screen."
            )
        )
    columns = iter(st.columns(3))
    if figure.svg is not None:
        with next(columns):
            st.download_button(
                "SVG",
                figure.svg.encode("utf-8"),
                file_name=f"{stem}.svg",
                mime="image/svg+xml",
                icon=":material/download:",
                on_click="ignore",
            )
        with next(columns):
            png = (
                partial(export_bytes, slide.dot, "png")
                if dpi is None
                else partial(export_bytes, figure.dot, "png", dpi)
            )
            st.download_button(
                "PNG",
                png,
                file_name=f"{stem}.png",
                mime="image/png",
                icon=":material/download:",
                on_click="ignore",
            )
        with next(columns):
            st.download_button(
                "PDF",
                partial(export_bytes, slide.dot, "pdf", slide=True),
                file_name=f"{stem}.pdf",
                mime="application/pdf",
                icon=":material/download:",
                on_click="ignore",
            )
        columns = iter(st.columns(3))
    with next(columns):
        st.download_button(
            "DOT",
            figure.dot.encode("utf-8"),
            file_name=f"{stem}.dot",
            mime="text/vnd.graphviz",
            icon=":material/download:",
            on_click="ignore",
        )
    if answers_hidden:
        st.caption(_("The JSON record is held back while the quiz hides gradients: it holds the answers."))
        return
    with next(columns):
        st.download_button(
            _("JSON record"),
            record.to_json,
            file_name=f"{stem}.json",
            mime="application/json",
            icon=":material/download:",
            on_click="ignore",
        )
