"""Gradient norm by layer, shown with the overlay: one bar per layer (a
module call, a loop iteration, or a parameter: graphs.views.diagnosis's
layers) along depth, from the output down to the input, for the pass the
figure shows.

The bars are log10 of each layer's largest gradient norm, so a vanishing
gradient reads as a staircase going down and an exploding one as a staircase
going up; each bar is filled with the colour the graph's overlay gives that
norm (graphs.render.overlay), so bar and box agree. Layer names come from the
worker: they go into the chart as data (Vega draws them as text), never as
Markdown.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd
import streamlit as st

from components.i18n import _
from components.markdown import escape
from components.tables import pass_name
from graphs.record.model import GraphRecord
from graphs.render import RenderOptions
from graphs.render.overlay import palette
from graphs.render.themes import theme
from graphs.views.health import Health, chosen_pass, health

KEY = "health_strip"


def strip_frame(found: Health) -> pd.DataFrame | None:
    """One row per layer in depth order, or None without a layer (or a scale) to draw."""
    if not found.layers or found.scale is None:
        return None
    rows = [
        {
            "depth": depth,
            "layer": f"{depth}. {layer.name}",
            "line": layer.line,
            "norm": layer.norm,
            "log10": math.log10(layer.norm),
            "bin": found.scale.bin(layer.norm),
        }
        for depth, layer in enumerate(found.layers, start=1)
    ]
    return pd.DataFrame(rows)


def strip_chart(frame: pd.DataFrame, theme_name: str) -> alt.Chart:
    colours = palette(theme(theme_name))
    bins = sorted(set(frame["bin"]))
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("layer:N", sort=alt.SortField("depth"), title=_("Layer, from the output down")),
            y=alt.Y("log10:Q", title=_("log10 of the gradient norm")),
            color=alt.Color(
                "bin:O", scale=alt.Scale(domain=bins, range=[colours[b] for b in bins]), legend=None
            ),
            tooltip=["layer", "line", alt.Tooltip("norm:Q", format=".3e")],
        )
        .properties(height=200)
    )


def health_strip(record: GraphRecord, options: RenderOptions) -> None:
    """The strip in an expander under the graph while the overlay is on (the
    page's one switch for gradient health: a chart of its own on every page
    would be one more to draw on each rerun); nothing for a view of all passes
    or a pass that reached no layer."""
    run = chosen_pass(record, options.pass_index) if options.overlay is not None else None
    frame = None if run is None else strip_frame(health(record, run))
    if frame is None:
        return
    with st.container(key=KEY), st.expander(_("Gradient norm by layer"), expanded=True):
        st.caption(
            _("{pass_name}: each layer's largest gradient norm, from the output (left) to the input.").format(
                pass_name=escape(pass_name(run))
            )
        )
        st.altair_chart(strip_chart(frame, options.theme), width="stretch")
