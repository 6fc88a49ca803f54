"""Downloads for slides and notes: SVG, PNG (a 1080p slide or a chosen DPI),
PDF (a 16:9 page), DOT and the JSON record, all in the theme as shown; and
for a program of several kept passes, every pass drawn the same way, one
file each in a ZIP, to show how the gradients evolved over training.

The slide files use the layout that fills a 16:9 screen (`pipeline.figure`
with the slide's box) when the direction is *Fit the screen*; the SVG is the
figure exactly as on screen. PNG, PDF and JSON are made only when their
button is clicked (Streamlit calls the callable then), so drawing a new graph
costs no export. The ZIP of every pass is made on its click too, outside the
page's script run, so it is handed its captions already translated (the
slider's own, `components.loss_curve.captions()`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import streamlit as st

from components import pipeline
from components.cache import cached
from components.display import ViewOptions
from components.i18n import _
from components.loss_curve import captions
from components.pipeline import Figure, export_bytes
from graphs.record.model import GraphRecord
from graphs.render.export import MAX_PIXELS
from graphs.render.fit import svg_size
from graphs.render.kept_passes import FILE_FORMATS, Captions, drawings, passes_zip

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


def png_export(figure: Figure, slide: Figure, dpi: int | None) -> Callable[[], bytes]:
    """The PNG's bytes, made on click: the slide layout at 1080p (`dpi` None), else the figure as shown."""
    if dpi is None:
        return partial(export_bytes, slide.dot, "png")
    return partial(export_bytes, figure.dot, "png", dpi)


def _download(label: str, data: bytes | Callable[[], bytes], file_name: str, mime: str) -> None:
    """A download button; "ignore" keeps a click from rerunning the page."""
    st.download_button(
        label, data, file_name=file_name, mime=mime, icon=":material/download:", on_click="ignore"
    )


def _png_size(figure: Figure) -> int | None:
    """The PNG size picker and what the chosen size gives; returns its DPI (None: the slide)."""
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
    return dpi


def _image_downloads(figure: Figure, slide: Figure, stem: str, dpi: int | None) -> None:
    """SVG, PNG and PDF in a row: the files Graphviz lays out."""
    svg, png, pdf = st.columns(3)
    with svg:
        _download("SVG", figure.svg.encode("utf-8"), f"{stem}.svg", "image/svg+xml")
    with png:
        _download("PNG", png_export(figure, slide, dpi), f"{stem}.png", "image/png")
    with pdf:
        _download(
            "PDF", partial(export_bytes, slide.dot, "pdf", slide=True), f"{stem}.pdf", "application/pdf"
        )


def _text_downloads(record: GraphRecord, figure: Figure, stem: str, answers_hidden: bool) -> None:
    """DOT and the JSON record in a row (the record held back while a quiz hides its answers)."""
    dot, record_json = st.columns(3)[:2]  # three, as wide as the row above
    with dot:
        _download("DOT", figure.dot.encode("utf-8"), f"{stem}.dot", "text/vnd.graphviz")
    if answers_hidden:
        st.caption(_("The JSON record is held back while the quiz hides gradients: it holds the answers."))
        return
    with record_json:
        _download(_("JSON record"), record.to_json, f"{stem}.json", "application/json")


@cached(lambda data: len(data) + pipeline.OVERHEAD)
def kept_passes_zip(
    source: str, options: ViewOptions, rankdir: str, bands: int, fmt: str, pass_captions: Captions
) -> bytes:
    """Every kept pass of an already successful program (`pipeline.run` is cached)
    in the figure's layout, as `graphs.render.kept_passes` zips them."""
    record = pipeline.run(source).record
    return passes_zip(drawings(record, options.render_options(rankdir), bands, pass_captions), fmt)


def _passes_download(record: GraphRecord, figure: Figure, stem: str) -> None:
    """Every kept pass in one ZIP, in the format picked beside the button; offered
    for a figure of ours (not the classic view) of a program with several passes."""
    if len(record.passes) < 2 or figure.source is None or figure.options is None or figure.options.classic:
        return
    st.markdown("**" + _("Every kept pass") + "**")
    picked, button = st.columns([1, 2], vertical_alignment="bottom")
    fmt = picked.selectbox(_("Format"), list(FILE_FORMATS), key="passes_format", format_func=str.upper)
    pass_captions = captions()
    made = partial(
        kept_passes_zip, figure.source, figure.options, figure.rankdir, figure.bands, fmt, pass_captions
    )
    with button:
        _download(
            _("{count} passes (zip)").format(count=len(record.passes)),
            made,
            f"{stem}_passes.zip",
            "application/zip",
        )
    st.caption(
        _(
            "One file per kept pass (pass-0007.svg), drawn as shown here and captioned with its loss; "
            "a pass that could not be drawn is named in problems.txt."
        )
    )


def export_panel(
    record: GraphRecord, figure: Figure, slide: Figure, stem: str, answers_hidden: bool = False
) -> None:
    """Download buttons; Graphviz formats only when `dot` could lay the graph out.

    While a quiz hides gradients, the figures come in masked (`quiz.worksheet`)
    and neither the JSON record, which holds every answer, nor the ZIP of every
    pass, whose other passes show their gradients, is offered."""
    if figure.svg is None:
        st.caption(
            _(
                "No SVG, PNG or PDF: Graphviz could not lay this graph out here "
                "(see the message beside the graph). The DOT file and the record are below."
            )
        )
    else:
        dpi = _png_size(figure)
        _image_downloads(figure, slide, stem, dpi)
    _text_downloads(record, figure, stem, answers_hidden)
    if figure.svg is not None and not answers_hidden:  # other passes' gradients are answers too
        _passes_download(record, figure, stem)
