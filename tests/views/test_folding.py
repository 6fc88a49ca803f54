"""Module folding: module paths from capture, runs (×N), the first view, and
the invariant that expanding every module gives back the unfolded graph."""

from __future__ import annotations

import json

import pytest
import torch

from bench.models import build, definitions
from graphs.api import run_in_process
from graphs.catalogue import get
from graphs.record.model import GraphRecord, Summary
from graphs.views.box_stats import stats
from graphs.views.folding import MAX_BOXES, all_keys, first_view, fold
from graphs.views.module_tree import ModuleTree
from graphs.worker.capture import capture

MODELS = ("mlp", "cnn", "transformer", "rnn")


@pytest.fixture(scope="module")
def records() -> dict[str, GraphRecord]:
    found = {}
    for name in MODELS:
        workload = build(name)
        found[name] = capture(workload.model, *workload.inputs)
    return found


def unrolled_rnn(steps: int) -> GraphRecord:
    torch.manual_seed(0)
    return capture(definitions("rnn_unrolled")["UnrolledRNN"](), torch.randn(steps, 2, 16))


NET = """
import torch
from torch import nn

class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return torch.tanh(self.fc(x)) + x

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Linear(3, 4)
        self.blocks = nn.Sequential(Block(), Block(), Block())
        self.head = nn.Linear(4, 1)

    def forward(self, x):
        return self.head(self.blocks(self.stem(x)))

net = Net()
x = torch.randn(2, 3)
loss = net(x).sum()
loss.backward()
"""


def test_module_paths_are_the_parameter_paths():
    """An op made by `net.blocks.1.fc` reads `net.blocks.1.fc.weight` (named by the naming pass)."""
    record = run_in_process(NET)
    edges = [(e.src, e.dst) for e in record.edges]
    by_id = {node.id: node for node in record.nodes}
    checked = 0
    for node in record.nodes:
        if node.kind != "leaf" or not node.requires_grad or not node.name:  # parameters
            continue
        users = {by_id[src].module for src, dst in edges if dst == node.id}
        assert users == {node.name.rsplit(".", 1)[0]}, node.name
        checked += 1
    assert checked == 10  # the weight and bias of five Linears: stem, three blocks, head
    assert {call.path for call in record.modules} >= {"net", "net.blocks", "net.blocks.2.fc", "net.head"}
    calls = {(call.path, call.kind) for call in record.modules}
    assert ("net.blocks.0", "Block") in calls and ("net", "Net") in calls


def test_capture_of_a_model_names_modules_as_its_parameters(records):
    record = records["transformer"]
    by_id = {node.id: node for node in record.nodes}
    for edge in record.edges:
        leaf = by_id[edge.dst]
        if leaf.kind == "leaf" and leaf.name and leaf.name.endswith("linear1.weight"):
            assert by_id[edge.src].module == leaf.name.removesuffix(".weight")


def test_ops_outside_modules_have_no_module():
    record = run_in_process("import torch\nw = torch.ones(2, requires_grad=True)\n(w * 3).sum().backward()\n")
    assert all(node.module is None and node.call is None for node in record.nodes)
    assert record.modules == []


def test_a_module_that_raises_leaves_the_stack():
    """A forward that raises is popped (the hook runs always), so later ops are not its."""
    source = (
        "import torch\nfrom torch import nn\n"
        "class Bad(nn.Module):\n    def forward(self, x):\n"
        "        y = x * 2\n        raise ValueError('no')\n"
        "bad = Bad()\nw = torch.ones(2, requires_grad=True)\n"
        "try:\n    bad(w)\nexcept ValueError:\n    pass\n"
        "(w + 1).sum().backward()\n"
    )
    record = run_in_process(source)
    assert {node.op: node.module for node in record.nodes if node.kind == "op"} == {
        "SumBackward0": None,
        "AddBackward0": None,
    }


def test_module_fields_survive_json_and_old_records_load():
    record = run_in_process(NET)
    again = GraphRecord.from_dict(json.loads(record.to_json()))
    assert again.modules == record.modules
    assert [(n.module, n.call) for n in again.nodes] == [(n.module, n.call) for n in record.nodes]
    old = record.to_dict()
    del old["modules"]
    for node in old["nodes"]:
        del node["module"], node["call"]
    assert GraphRecord.from_dict(old).nodes[1].module is None


@pytest.mark.parametrize("name", MODELS)
def test_expanding_every_module_gives_the_unfolded_graph(records, name):
    record = records[name]
    view = fold(record, all_keys(record))
    assert view.nodes == tuple(node.id for node in record.nodes)
    assert view.edges == tuple((edge.src, edge.dst) for edge in record.edges)
    assert view.boxes == () and view.hidden == {}


@pytest.mark.parametrize("name", MODELS)
def test_first_view_fits_and_keeps_every_node_reachable(records, name):
    """Every node is drawn or folded into a drawn box, and every drawn edge joins drawn items."""
    record = records[name]
    view = fold(record, first_view(record))
    assert view.size <= MAX_BOXES
    box_ids = {box.id for box in view.boxes}
    assert set(view.nodes).isdisjoint(view.hidden)
    assert set(view.nodes) | set(view.hidden) == {node.id for node in record.nodes}
    assert set(view.hidden.values()) <= box_ids
    drawn = set(view.nodes) | box_ids
    assert all(src in drawn and dst in drawn and src != dst for src, dst in view.edges if src in box_ids)
    # A record edge between two folded-apart items is drawn once between their stand-ins.
    stand_in = {**{n: n for n in view.nodes}, **view.hidden}
    wanted = {(stand_in[e.src], stand_in[e.dst]) for e in record.edges if stand_in[e.src] != stand_in[e.dst]}
    assert set(view.edges) == wanted
    assert all(view.edges.count(edge) == 1 for edge in view.edges if box_ids & set(edge))


def test_transformer_layers_fold_into_one_run(records):
    """Layers 1-5 repeat (layer 0 reads the input, which needs no gradient, so it has fewer ops)."""
    tree = ModuleTree(records["transformer"])
    runs = {tuple(tree.keys[i] for i in run) for run in tree.run_of.values()}
    assert runs == {tuple(f"layers.{i}" for i in range(1, 6))}
    view = fold(records["transformer"], frozenset())
    (box,) = [box for box in view.boxes if box.count > 1]
    assert (box.count, box.kind, box.expand) == (5, "TransformerEncoderLayer", "layers.5")


def test_opening_a_run_splits_it_around_the_chosen_repetition(records):
    record = records["transformer"]
    view = fold(record, frozenset({"layers.3"}))
    counts = sorted((box.title, box.count) for box in view.boxes if box.id not in view.placed)
    assert counts == [("layers.0", 1), ("layers.1 … layers.2", 2), ("layers.4 … layers.5", 2)]
    assert [cluster.key for cluster in view.clusters] == ["layers.3"]


def test_unrolled_rnn_is_one_box_times_steps_with_its_weights_drawn_once():
    record = unrolled_rnn(60)
    view = fold(record, frozenset())
    [box] = [box for box in view.boxes if box.count > 1]
    assert (box.count, box.kind, box.title, box.expand) == (60, "RNNCell", "cell (calls 0–59)", "cell@59")
    shared = [
        node.id for node in record.nodes if node.kind == "leaf" and (node.name or "").startswith("cell.")
    ]
    assert len(shared) == 4 and set(shared) <= set(view.nodes)  # drawn once, outside the box
    for leaf in shared:  # one edge from the box to each weight, not one per step
        assert view.edges.count((box.id, leaf)) == 1
    assert view.size == 1 + 4 + 2  # the output, the shared weights, the readout and the ×60 box
    opened = fold(record, frozenset({"cell@59"}))
    assert sorted(b.count for b in opened.boxes if b.count > 1) == [59]
    assert [cluster.key for cluster in opened.clusters] == ["cell@59"]


def test_per_step_inputs_fold_with_their_step():
    """`x[t]` is made by the loop around the cell, only for step t: it folds with that step."""
    source = (
        "import torch\nfrom torch import nn\ntorch.manual_seed(0)\n"
        "cell = nn.RNNCell(3, 4)\nxs = torch.randn(20, 1, 3, requires_grad=True)\n"
        "h = torch.zeros(1, 4)\nfor t in range(20):\n    h = cell(xs[t], h)\nh.sum().backward()\n"
    )
    record = run_in_process(source)
    view = fold(record, frozenset())
    assert [box.count for box in view.boxes] == [20]
    assert view.size == 1 + 1 + 1 + 5  # sum, output, the box, xs and the cell's two weights and biases


def test_first_view_of_a_small_model_expands_everything_but_repeats():
    record = run_in_process(NET)
    keys = first_view(record)
    assert "net" in keys and "net.blocks" in keys and "net.blocks.2" in keys
    view = fold(record, keys)
    assert [(box.title, box.count) for box in view.boxes] == [("net.blocks.0 … net.blocks.1", 2)]
    assert {cluster.key: cluster.parent for cluster in view.clusters}["net.blocks"] == "cluster_m0"


def test_stats_from_contents_or_summary():
    full = stats([[3.0, -4.0]], [1, 2])
    assert (full.low, full.mean, full.high, full.norm) == (-4.0, -0.5, 3.0, 5.0)
    assert "norm 5." in full.text()
    large = stats(Summary(min=-1.0, mean=0.0, max=2.0), [100, 100])
    assert large.norm is None and large.text().startswith("100×100")
    assert stats(None, [3]) is None


def test_inputs_fold_with_the_step_that_reads_them():
    """The catalogue RNN's 500 `x_t` are requires_grad=False inputs, one per step: each
    folds into the ×500 box with the step that reads it, and its call numbers are
    counted among the calls the record keeps."""
    record = run_in_process(get("rnn_unrolled").source)
    inputs = [node.id for node in record.nodes if node.name == "forward: x_t"]
    assert len(inputs) == 500 and not any(node.requires_grad for node in record.nodes if node.id in inputs)
    view = fold(record, first_view(record))
    assert view.size <= MAX_BOXES and sum(node_id in view.nodes for node_id in inputs) <= 1
    assert [call.call for call in record.modules if call.path == "model.cell"] == list(range(500))
