"""Loop folding in the app (AppTest, real torch and `dot`): a plain-loop RNN opens
folded by its loop, any iteration can be opened, and an open one collapsed again."""

from __future__ import annotations

import re
from pathlib import Path

from graphs.api import run_source
from tests.app.test_app import graph_svg, node_picker, pane, run_program, start
from tests.app.test_app_folding import boxes, clusters

RNN = (Path(__file__).parents[1] / "programs" / "loops" / "rnn_400_steps.py").read_text()


def test_a_plain_loop_opens_folded_and_any_iteration_can_be_opened():
    at = pane(run_program(start(), RNN), "inspect")
    assert not at.exception and not at.error
    svg = graph_svg(at)
    assert len(re.findall(r'class="node"', svg)) <= 150 and len(clusters(svg)) == 1
    assert any("for t in range(steps)" in text and "×399" in text for text in boxes(svg).values())
    [picker] = [box for box in at.selectbox if (box.key or "").startswith("repeat_")]
    picker.set_value("loop@L12@5").run()
    [button] = [b for b in at.button if (b.key or "").startswith("open_")]
    at = button.click().run()
    assert not at.exception
    svg = graph_svg(at)
    assert "for loop, line 12: iteration 5" in svg and len(clusters(svg)) == 2
    runs = sorted(re.findall(r"×(\d+)", " ".join(boxes(svg).values())))
    assert runs == ["393", "5"]  # iterations 0-4 and 6-398: 399 is open too


def test_collapse_folds_the_inspected_nodes_iteration():
    at = pane(run_program(start(), RNN), "inspect")
    node = next(n for n in run_source(RNN).nodes if n.module == "loop@L12" and n.call == 399)
    at = node_picker(at).set_value(node.id).run()
    at = at.button(key="collapse_loop@L12@399").click().run()
    assert not at.exception
    svg = graph_svg(at)
    assert clusters(svg) == [] and "×400" in " ".join(boxes(svg).values())
