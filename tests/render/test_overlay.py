"""The gradient-norm overlay drawn: the deep-sigmoid lesson's layers filled from
the lowest bin (its first layer) to the highest (its last), folded boxes
filled too, the legend's rows, the dark palette, and nothing of the record's
text unescaped."""

from __future__ import annotations

import math
import re

import pytest

from graphs.api import run_in_process
from graphs.catalogue import get
from graphs.render import RenderOptions, dot_source
from graphs.render.export import export
from graphs.render.overlay import LEGEND_ID, palette
from graphs.render.themes import theme
from graphs.views.diagnosis import parameter_side
from graphs.views.folding import fold
from graphs.views.health import BINS, NONFINITE, ZERO, health

OVERLAY = RenderOptions(overlay="grad_norm")
LIGHT = palette(theme("light"))


@pytest.fixture(scope="module")
def sigmoid():
    return run_in_process(get("deep_sigmoid").source)


def fills(dot: str) -> dict[str, str]:
    """Each node's label fill and each box's fillcolor in a DOT source."""
    found = dict(re.findall(r'\t(n\d+) \[label=<<TABLE[^>]*BGCOLOR="(#[0-9a-f]{6})"', dot))
    found |= dict(re.findall(r'\t(m\d+) \[label=.*?fillcolor="(#[0-9a-f]{6})"', dot))
    return found


def in_layer(record, module: str) -> list[str]:
    return [node.id for node in record.nodes if node.module == module]


def test_each_node_is_filled_with_the_bin_of_its_norms_log10(sigmoid):
    norms = sigmoid.passes[-1].norms
    low = min(n for n in norms.values() if n > 0)
    high = max(norms.values())
    drawn = fills(dot_source(sigmoid, OVERLAY))
    assert len(drawn) == len(sigmoid.nodes)
    for node_id, norm in norms.items():
        step = min(int((math.log10(norm) - math.log10(low)) / (math.log10(high) - math.log10(low)) * BINS), 5)
        assert drawn[node_id] == LIGHT[step], node_id


def test_the_first_layer_is_in_the_lowest_bin_and_the_last_in_the_highest(sigmoid):
    drawn = fills(dot_source(sigmoid, OVERLAY))
    assert {drawn[node_id] for node_id in in_layer(sigmoid, "layers.0")} == {LIGHT[0]}
    assert LIGHT[BINS - 1] in {drawn[node_id] for node_id in in_layer(sigmoid, "layers.11")}


def test_without_the_overlay_the_figure_is_as_before(sigmoid):
    plain = dot_source(sigmoid, RenderOptions())
    assert LEGEND_ID not in plain and not set(fills(plain).values()) & set(LIGHT.values())


def test_the_legend_lists_each_bin_with_its_norms(sigmoid):
    dot = dot_source(sigmoid, OVERLAY)
    (legend,) = [line for line in dot.splitlines() if line.startswith(f"\t{LEGEND_ID} ")]
    assert "gradient norm (log scale)" in legend
    ranges = re.findall(r'BGCOLOR="(#[0-9a-f]{6})" WIDTH="18" BORDER="1"> </TD>.*?>([^<]+)</FONT>', legend)
    assert [colour for colour, _ in ranges] == [LIGHT[i] for i in range(BINS)]
    assert ranges[0][1] == "2.9e-12 to 2.4e-10" and ranges[-1][1] == "1.2e-02 to 1.0e+00"
    svg = export(dot, "svg").decode()
    assert 'id="legend"' in svg and "2.9e-12 to 2.4e-10" in svg
    assert LIGHT[0] in svg and LIGHT[BINS - 1] in svg


def test_folded_boxes_are_filled_by_the_largest_norm_they_hold(sigmoid):
    loops = frozenset({"loop@L8"} | {f"loop@L8@{i}" for i in range(1, 12)})
    view = fold(sigmoid, loops)
    box_of = {view.hidden[node_id] for node_id in in_layer(sigmoid, "layers.0")}
    last = {view.hidden[node_id] for node_id in in_layer(sigmoid, "layers.11")}
    assert len(box_of) == 1 and len(last) == 1
    drawn = fills(dot_source(sigmoid, RenderOptions(overlay="grad_norm", folding=loops)))
    assert drawn[box_of.pop()] == LIGHT[0]
    # the last layer's box: the largest signal through its ops, not its weight's own gradient
    run, own = sigmoid.passes[-1], parameter_side(sigmoid)
    signal = max(run.norms[n] for n in in_layer(sigmoid, "layers.11") if n not in own)
    weight = max(run.norms[n] for n in in_layer(sigmoid, "layers.11") if n in own)
    assert signal < weight
    assert drawn[last.pop()] == LIGHT[health(sigmoid, run).scale.bin(signal)] != LIGHT[BINS - 1]


def test_the_dark_theme_has_its_own_palette(sigmoid):
    dark = palette(theme("dark"))
    drawn = fills(dot_source(sigmoid, RenderOptions(overlay="grad_norm", theme="dark")))
    graded = {drawn[node_id] for node_id in sigmoid.passes[-1].norms}
    assert graded <= set(dark.values()) and not set(drawn.values()) & set(LIGHT.values())
    assert drawn[in_layer(sigmoid, "layers.0")[0]] == dark[0]
    assert len(set(dark.values())) == len(set(LIGHT.values())) == BINS + 2


def test_zero_and_nan_gradients_are_drawn_apart_and_record_text_stays_escaped(sigmoid):
    record = run_in_process(get("deep_sigmoid").source)
    run = record.passes[-1]
    first, second = in_layer(record, "layers.0")[:2]
    run.norms[first], run.norms[second] = 0.0, math.nan
    record.nodes[0].op = '<b>"x</b>'
    dot = dot_source(record, OVERLAY)
    drawn = fills(dot)
    assert (drawn[first], drawn[second]) == (LIGHT[ZERO], LIGHT[NONFINITE])
    assert ">zero<" in dot and ">NaN or Inf<" in dot
    assert "<b>" not in dot and "&lt;b&gt;&quot;x&lt;/b&gt;" in dot
    export(dot, "svg")  # still valid DOT


def test_the_all_passes_view_has_no_overlay(sigmoid):
    assert LEGEND_ID not in dot_source(sigmoid, RenderOptions(overlay="grad_norm", pass_index=-1))


def test_an_unknown_overlay_is_refused():
    with pytest.raises(ValueError, match="overlay"):
        RenderOptions(overlay="loss")


def test_a_figure_that_hides_gradients_has_no_overlay(sigmoid):
    hidden = frozenset({sigmoid.nodes[3].id})
    dot = dot_source(sigmoid, RenderOptions(overlay="grad_norm", hide_grads=hidden))
    assert LEGEND_ID not in dot and not set(fills(dot).values()) & set(LIGHT.values())
