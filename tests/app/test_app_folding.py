"""Module folding in the app (AppTest, real torch and `dot`): a large program
opens folded, its repeats can be opened and its modules collapsed again, and a
share link keeps the folding state."""

from __future__ import annotations

import re

from components.share import decode_folding, encode_code, encode_folding
from graphs.api import run_source
from tests.app.test_app import component_data, graph_svg, node_picker, pane, run_program, start

ENCODER = """\
import torch
from torch import nn
torch.manual_seed(0)
model = nn.TransformerEncoder(
    nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True), 4, enable_nested_tensor=False
)
x = torch.randn(2, 5, 16)
loss = model(x).pow(2).mean()
loss.backward()
"""


def boxes(svg: str) -> dict[str, str]:
    """Collapsed module boxes drawn: id -> their text."""
    found = re.findall(r'<g id="(m\d+)" class="node">(.*?)</g>', svg, flags=re.DOTALL)
    return {box_id: " ".join(re.findall(r">([^<]+)</text>", body)) for box_id, body in found}


def clusters(svg: str) -> list[str]:
    return re.findall(r"<title>(cluster_m\d+)</title>", svg)


def test_a_large_program_opens_folded_with_its_repeats_in_one_box():
    at = run_program(start(), ENCODER)
    assert not at.exception and not at.error
    svg = graph_svg(at)
    drawn = boxes(svg)
    assert any("model.layers.1 … model.layers.2" in text and "×2" in text for text in drawn.values())
    assert clusters(svg)  # the first view opens what fits (layer 3)
    assert len(re.findall(r'class="node"', svg)) <= 150


def test_opening_a_chosen_repetition():
    at = pane(run_program(start(), ENCODER), "inspect")
    [picker] = [box for box in at.selectbox if (box.key or "").startswith("repeat_")]
    picker.set_value("model.layers.1").run()
    [button] = [b for b in at.button if (b.key or "").startswith("open_")]
    at = button.click().run()
    assert not at.exception
    svg = graph_svg(at)
    assert "model.layers.1 (call 0)" not in svg  # one call each: no call numbers
    assert "model.layers.1: TransformerEncoderLayer" in svg  # now a cluster of its own
    assert not any(" … " in text for text in boxes(svg).values())  # only layer 2 is left folded


def test_collapse_buttons_fold_the_inspected_nodes_module():
    at = pane(run_program(start(), ENCODER), "inspect")
    node = next(n for n in run_source(ENCODER).nodes if n.module == "model.layers.3.linear1")
    assert "model.layers.3.linear1: Linear" in graph_svg(at)
    at = node_picker(at).set_value(node.id).run()
    at = at.button(key="collapse_model.layers.3.linear1").click().run()
    assert not at.exception
    svg = graph_svg(at)
    assert "model.layers.3.linear1: Linear" not in svg
    assert any(text.startswith("model.layers.3.linear1 Linear") for text in boxes(svg).values())
    assert "model.layers.3: TransformerEncoderLayer" in svg  # its parent stays open


def test_a_share_link_keeps_the_folding_state():
    keys = frozenset({"model", "model.layers.0"})
    at = start(code=encode_code(ENCODER), folding=encode_folding(keys))
    assert not at.exception
    svg = graph_svg(at)
    assert "model.layers.0: TransformerEncoderLayer" in svg
    assert any("model.layers.1 … model.layers.3" in text for text in boxes(svg).values())
    assert decode_folding(at.query_params["folding"]) == keys


def test_folding_in_a_link_is_checked():
    assert decode_folding("-") == frozenset()
    assert decode_folding("cell@3,net.fc1") == {"cell@3", "net.fc1"}
    assert decode_folding("net fc1") is None and decode_folding("a,b]") is None
    assert decode_folding(None) is None


def test_a_quiz_hides_the_gradients_a_box_summarises():
    at = start(code=encode_code(ENCODER), quiz="1")
    assert not at.exception
    drawn = boxes(graph_svg(at))
    assert drawn and all(text.endswith("?") and "grad" not in text for text in drawn.values())
    at.toggle(key="quiz").set_value(False).run()
    assert all("grad min" in text for text in boxes(graph_svg(at)).values())


def test_stepping_through_backward_in_a_folded_graph_outlines_its_boxes():
    """The player gets the folding state the graph is drawn with (here a link's):
    every node the pass runs is a step, outlining the node or the box holding it."""
    at = start(code=encode_code(ENCODER), folding=encode_folding(frozenset({"model", "model.layers.0"})))
    at.toggle(key="stepping").set_value(True).run()
    assert not at.exception
    data = component_data(at, "player")
    (run,) = run_source(ENCODER).passes
    [run_box] = [box for box, text in boxes(data["svg"]).items() if "model.layers.1 … model.layers.3" in text]
    steps = data["steps"][1:]
    outlined = [re.findall(r"g#([nm]\d+) > :is\(polygon", step["css"]) for step in steps]  # grouped
    assert [step["node"] for step in steps] == sorted(run.order, key=run.order.get)
    assert all(len(found) == 1 and found[0] in data["svg"] for found in outlined)
    in_run = [step["caption"] for step, found in zip(steps, outlined, strict=True) if found == [run_box]]
    assert len(in_run) > 100 and all(" (in model.layers." in caption for caption in in_run)
