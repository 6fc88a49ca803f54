"""The app's core behind its cache: what reaches `dot`, and what the page is told instead."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from components import folding_panel, pipeline
from components.display import ViewOptions, projected
from graphs.api import run_in_process
from graphs.catalogue import get
from graphs.render import RenderOptions, dot_source, folded_view
from graphs.views import folding
from graphs.views.folding import UNFOLDED
from graphs.worker.classic import classic_dot
from tests.app.test_app import run_program, start
from tests.views.test_folding import NET

CHAIN = """import torch
x = torch.ones(1, requires_grad=True)
y = x
for i in range(40):
    y = y * 1.5
y.backward()
"""


@pytest.mark.parametrize("slug", ["two_layer_sigmoid", "gpt2_small"])
def test_drawn_nodes_counts_every_box_of_both_writers(slug):
    record = run_in_process(get(slug).source)
    folded = folded_view(record, RenderOptions())
    expected = len(record.nodes) if folded is None else len(folded.nodes) + len(folded.boxes)
    assert pipeline.drawn_nodes(dot_source(record, RenderOptions())) == expected
    assert pipeline.drawn_nodes(dot_source(record, RenderOptions(folding=UNFOLDED))) == len(record.nodes)
    classic = classic_dot(get("two_layer_sigmoid").source)
    assert pipeline.drawn_nodes(classic) == len(re.findall(r"^\tc\d+ \[", classic, re.MULTILINE))


def test_a_graph_over_the_drawing_limit_is_a_message_and_its_dot_file(monkeypatch):
    monkeypatch.setenv("AUTOGRAD_EXPLORER_MAX_DRAWN_NODES", "30")
    laid_out = []
    real = pipeline.export

    def export(dot, *args, **kwargs):
        laid_out.append(pipeline.drawn_nodes(dot))
        return real(dot, *args, **kwargs)

    monkeypatch.setattr(pipeline, "export", export)
    at = run_program(start(), CHAIN)
    assert not at.exception and all(drawn <= 30 for drawn in laid_out)  # the first lesson's, unless cached
    (warning,) = [w.value for w in at.warning if "could not be drawn" in w.value]
    assert "boxes to draw, more than the 30 this server lays out" in warning


def test_the_drawing_limit_is_an_operator_setting():
    assert pipeline.max_drawn_nodes({}) == pipeline.MAX_DRAWN_NODES
    assert pipeline.max_drawn_nodes({"AUTOGRAD_EXPLORER_MAX_DRAWN_NODES": "99"}) == 99


@pytest.mark.parametrize("keys", [frozenset({"net"}), None])  # folded by hand; small, so drawn unfolded
def test_a_figure_and_the_panels_naming_its_modules_fold_once(monkeypatch, keys):
    """Folding is worked out once per figure: every layout `dot` is given, the
    projector's figure and the folding panel read the one `Folding` the figure
    holds (a module tree built once, for the view or for the keys of every module)."""
    built = []

    class Counted(folding.ModuleTree):
        def __init__(self, *args, **kwargs) -> None:
            built.append(args[0])
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(folding, "ModuleTree", Counted)
    source = f"{NET}\n# folded once: {keys}\n"  # a program no other test has in the cache
    options = ViewOptions(folding=keys)
    figures = pipeline.layouts(source, options)
    assert len(figures) > 1 and all(figure.folding is figures[0].folding for figure in figures)
    found = figures[0].folding
    assert (found.view is None) == (keys is None) and found.keys >= {"net"}
    slide = pipeline.figure(
        source, replace(projected(options), highlight=frozenset({"n1"})), pipeline.SLIDE_BOX
    )
    assert slide.folding is found
    record = pipeline.run(source).record
    assert folding_panel.state(record, options) == (found.view, found.keys)
    assert folding_panel.state(record, options)[0] is found.view
    assert len(built) == 1


def test_a_handout_is_the_same_layout_drawn_again_without_the_answers():
    """`with_hidden_grads` (a quiz's exports) draws each layout again, in its
    direction and wrapping, from the same folding, with the gradients as "?"."""
    source = get("two_layer_sigmoid").source
    every = frozenset(node.id for node in pipeline.run(source).record.nodes)
    for figure in pipeline.layouts(source, ViewOptions()):
        handout = pipeline.with_hidden_grads(figure, every)
        assert (handout.rankdir, handout.bands) == (figure.rankdir, figure.bands)
        assert handout.folding is figure.folding and handout.options.hide_grads == every
        assert "1.2243e-04" in figure.dot and "1.2243e-04" not in handout.dot + handout.svg
        assert ">?<" in handout.svg and ">0.4999<" in handout.svg  # values stay
    classic = pipeline.figure(source, ViewOptions(classic=True))
    assert pipeline.with_hidden_grads(classic, every) is classic


def test_a_failing_programs_figure_is_laid_out_under_the_same_caps(monkeypatch):
    """The graph drawn under an error goes through the page's one layout step:
    over the box limit it is a one-line problem and `dot` never runs."""
    from components.failed_view import failed_figure

    source = (
        "import torch\nw = torch.ones(3, requires_grad=True)\n"
        "y = (w.exp() * w.sin() + w.cos()).tanh()\ny.sum().backward()\ny.sum().backward()\n"
    )
    monkeypatch.setenv("AUTOGRAD_EXPLORER_MAX_DRAWN_NODES", "3")
    monkeypatch.setattr(pipeline, "export", lambda *args, **kwargs: pytest.fail("dot ran"))
    found = failed_figure(source, ViewOptions())
    assert found.svg is None and "more than the 3 this server lays out" in found.problem
