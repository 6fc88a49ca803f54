"""Hidden gradients (`RenderOptions.hide_grads`, a quiz's questions): the renderer
draws them as "?", so their numbers are in neither the DOT nor the SVG made of
it, and everything else is drawn as before. Checked on the DOT text."""

from __future__ import annotations

import re

import pytest

from graphs.api import run_in_process
from graphs.record.model import Edge, Node, Summary
from graphs.render import RenderOptions, dot_source, folded_view
from graphs.render.themes import THEMES
from tests.render.test_render import cells, node_line
from tests.views.test_folding import NET

GRAD = THEMES["light"].grad


def test_a_hidden_gradient_is_a_question_mark_per_entry_and_the_rest_is_unchanged(small_record):
    shown = dot_source(small_record)
    hidden = dot_source(small_record, RenderOptions(hide_grads=frozenset({"n3"})))
    leaf = node_line(hidden, "n3")
    assert cells(node_line(shown, "n3")) == ["1.", "2.", "3.", "4.", "1.0000", "0.5000", "1.0000", "0.5000"]
    assert cells(leaf) == ["1.", "2.", "3.", "4.", "?", "?", "?", "?"]  # the values stay
    assert ">sent = .grad<" in leaf and "0.5000" not in leaf and "1.0000" not in leaf
    assert "0.5000" not in hidden  # n3's are the only such numbers in the figure
    others = lambda dot: [line for line in dot.splitlines() if not line.strip().startswith("n3 [")]  # noqa: E731
    assert others(hidden) == others(shown)


def test_every_gradient_hidden_leaves_no_gradient_number_in_the_dot(small_record):
    everything = frozenset(node.id for node in small_record.nodes)
    dot = dot_source(small_record, RenderOptions(hide_grads=everything))
    assert not re.search(rf'<FONT COLOR="{GRAD}">[^?<]', dot)
    assert cells(node_line(dot, "n2")) == ["2.", "5.", "?", "?"]
    assert f'<FONT COLOR="{GRAD}">?</FONT>' in dot


def test_a_hidden_summary_is_one_question_mark(small_record):
    small_record.nodes.append(Node("n4", "leaf", None, "b", [3, 5], "float32", value=[[0.0] * 5] * 3))
    small_record.edges.append(Edge("n2", "n4"))
    small_record.passes[0].grads["n4"] = Summary(min=-1.5, mean=0.25, max=2.0)
    assert "sent min -1.5000" in node_line(dot_source(small_record), "n4")
    line = node_line(dot_source(small_record, RenderOptions(hide_grads=frozenset({"n4"}))), "n4")
    assert "-1.5000" not in line and "0.2500" not in line and "value min 0." in line
    assert re.search(rf'<FONT COLOR="{GRAD}" POINT-SIZE="[^"]+">\?</FONT>', line)


def test_a_box_hides_the_gradient_of_a_hidden_node_it_summarises():
    record = run_in_process(NET)
    options = RenderOptions(folding=frozenset({"net"}))
    values = lambda line: re.findall(r"(?:out|in) \d\S*  min [^<]*", line)  # noqa: E731
    blocks = next(box for box in folded_view(record, options).boxes if box.title == "net.blocks")
    out = blocks.outputs[0]
    shown = node_line(dot_source(record, options), blocks.id)
    hidden = node_line(
        dot_source(record, RenderOptions(folding=options.folding, hide_grads=frozenset({out}))), blocks.id
    )
    assert "out grad min" in shown and "out grad" not in hidden and ">?</FONT>" in hidden
    assert "in grad min" in hidden  # what it reads is not hidden
    assert values(hidden) == values(shown) != []  # values stay


def test_hide_grads_must_be_a_set_of_ids():
    with pytest.raises(ValueError, match="hide_grads"):
        RenderOptions(hide_grads=["n1"])  # type: ignore[arg-type]
