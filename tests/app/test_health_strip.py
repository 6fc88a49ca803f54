"""The gradient-health controls in the app (components/display.py's toggle,
components/health_strip.py), with Streamlit's AppTest: the overlay drawn in
the figure, the strip's layers along depth, a share link, the page in Chinese."""

from __future__ import annotations

import json
import math

from components.display import DEFAULTS, ViewOptions
from components.health_strip import strip_frame
from graphs.api import run_in_process
from graphs.catalogue import get
from graphs.render.overlay import palette
from graphs.render.themes import theme
from graphs.views.health import BINS, chosen_pass, health
from graphs.views.passes import ALL_PASSES
from tests.app.test_app import graph_svg, start

LIGHT = palette(theme("light"))


def strip_specs(at) -> list[dict]:
    """The Vega-Lite specs of the page's charts (the strip's is the bar chart)."""
    found = []

    def walk(node) -> None:
        children = getattr(node, "children", {})
        for child in children.values() if isinstance(children, dict) else children:
            if getattr(child, "type", None) == "vega_lite_chart":
                found.append(json.loads(child.proto.spec))
            walk(child)

    walk(at._tree)
    return [spec for spec in found if spec["mark"]["type"] == "bar"]


def strip_expanders(at) -> list:
    return [e for e in at.expander if e.label == "Gradient norm by layer"]


def test_the_toggle_colours_the_graph_and_opens_the_strip():
    at = start(entry="deep_sigmoid")
    assert 'id="legend"' not in graph_svg(at) and not strip_expanders(at)
    at.toggle(key="opt_overlay").set_value(True).run()
    assert not at.exception
    svg = graph_svg(at)
    assert 'id="legend"' in svg and LIGHT[0] in svg and LIGHT[BINS - 1] in svg
    (strip,) = strip_expanders(at)
    assert strip.proto.expanded
    (spec,) = strip_specs(at)
    assert spec["encoding"]["x"]["title"] == "Layer, from the output down"
    assert spec["encoding"]["color"]["scale"]["range"][0] == LIGHT[0]
    assert at.query_params["overlay"] == "grad_norm"  # the share link says so


def test_the_strip_runs_down_the_deep_sigmoid_layers():
    record = run_in_process(get("deep_sigmoid").source)
    frame = strip_frame(health(record, chosen_pass(record, None)))
    assert list(frame["depth"]) == list(range(1, len(frame) + 1))
    assert frame["layer"].iloc[-1] == f"{len(frame)}. layers.0"
    assert math.isclose(frame["log10"].iloc[-1], math.log10(frame["norm"].iloc[-1]))
    assert frame["log10"].iloc[-1] < -10 < -4 < frame["log10"].iloc[0]  # 1e-11 against 1e-3
    assert frame["bin"].iloc[-1] == 0


def test_a_link_with_the_overlay_opens_it_and_a_bad_word_is_ignored():
    options = ViewOptions(overlay="grad_norm")
    assert options.to_params() == {"overlay": "grad_norm"}
    assert ViewOptions.from_params({"overlay": "grad_norm"}) == options
    assert ViewOptions.from_params({"overlay": "<script>"}) == DEFAULTS
    at = start(entry="deep_sigmoid", overlay="grad_norm")
    assert at.toggle(key="opt_overlay").value and 'id="legend"' in graph_svg(at)


def test_the_strip_speaks_chinese():
    at = start(entry="deep_sigmoid", lang="zh", overlay="grad_norm")
    assert not at.exception
    assert [e for e in at.expander if e.label == "各层的梯度范数"]
    assert at.toggle(key="opt_overlay").label == "按梯度范数着色"
    (spec,) = strip_specs(at)
    assert spec["encoding"]["y"]["title"] == "梯度范数的 log10"


def test_the_all_passes_view_has_no_strip_and_no_legend():
    at = start(entry="jacobian_rows", overlay="grad_norm")  # three passes; a leaf is a layer
    assert strip_expanders(at) and 'id="legend"' in graph_svg(at)
    at.selectbox(key="opt_pass_index").set_value(ALL_PASSES).run()
    assert not at.exception
    assert not strip_expanders(at) and 'id="legend"' not in graph_svg(at)


def test_a_quiz_shows_neither_the_strip_nor_the_overlay():
    at = start(entry="deep_sigmoid", overlay="grad_norm", quiz="1")
    assert not at.exception
    assert not strip_expanders(at) and 'id="legend"' not in graph_svg(at)
