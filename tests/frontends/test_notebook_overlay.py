"""The gradient-norm overlay in the notebook: `explore(..., overlay="grad_norm")`
draws every node filled by its gradient norm with the legend, for a module run
in the kernel, and the live widget keeps the overlay when a click opens a module."""

from __future__ import annotations

import re

import pytest
import torch

from graphs import explore
from graphs.render.overlay import palette
from graphs.render.themes import theme
from graphs.views.health import BINS

LIGHT = palette(theme("light"))


@pytest.fixture(scope="module")
def view():
    torch.manual_seed(0)
    layers = [module for _ in range(8) for module in (torch.nn.Linear(8, 8), torch.nn.Sigmoid())]
    return explore(torch.nn.Sequential(*layers), torch.randn(4, 8), overlay="grad_norm")


def fill_of(svg: str, node_id: str) -> set[str]:
    """The fills of one node's group in an SVG (Graphviz writes its table's background first)."""
    group = re.search(rf'<g id="(?:[\w-]+-)?{node_id}" class="node">(.*?)</g>', svg, re.S).group(1)
    return set(re.findall(r'fill="(#[0-9a-f]{6})"', group))


def test_explore_draws_the_overlay_from_the_first_layer_to_the_last(view):
    svg = view.svg()
    record = view.record
    first = next(n.id for n in record.nodes if n.module == "0" and n.op == "AddmmBackward0")
    last = next(n.id for n in record.nodes if n.module == "14" and n.op == "AddmmBackward0")
    norms = record.passes[-1].norms
    assert norms[first] < 1e-3 * norms[last]  # eight sigmoids: the gradient vanishes
    assert LIGHT[0] in fill_of(svg, first) and LIGHT[0] not in fill_of(svg, last)
    assert 'id="legend"' in svg and "gradient norm (log scale)" in svg
    assert "gradient norm (log scale)" in view.page()  # the inline view draws the same figure


def test_the_widget_keeps_the_overlay_when_a_module_opens(view):
    pytest.importorskip("anywidget", reason='the notebook extra: pip install "autograd-explorer[notebook]"')
    widget = view.expand("0").widget()  # module 0 open, the other 15 (8 linears, 8 sigmoids) boxes
    widget._clicked(widget, {"action": "expand", "key": "2"}, [])
    assert not widget.error and widget.explorer.open_modules() == {"0", "2"}
    assert widget.explorer.options.overlay == "grad_norm"
    boxes = re.findall(r'<g id="[\w-]+-(m\d+)" class="node">', widget.page)
    assert len(boxes) == 14 and "gradient norm (log scale)" in widget.page
    fills = set().union(*(fill_of(widget.page, box) for box in boxes))
    assert len(fills & {LIGHT[i] for i in range(BINS)}) >= 2  # the boxes down the stack differ
