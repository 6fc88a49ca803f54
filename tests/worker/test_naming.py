"""Nodes carry the program's own names: assignment targets, function locals
prefixed by their function, module parameters by path, and the source text of
unnamed expressions; every op knows the line that made it."""

from __future__ import annotations

import ast

from graphs.api import run_in_process
from graphs.record.model import GraphRecord
from graphs.worker.naming import LeafName, instrument, live_names, names_apart


def names(record: GraphRecord) -> dict[str, str]:
    """op or leaf name -> its node's op ('leaf' for leaves)."""
    return {node.name: node.op or node.kind for node in record.nodes if node.name and node.kind != "output"}


def test_targets_tuples_augmented_attributes_and_containers():
    source = (
        "import torch\n"
        "a, (b, c) = torch.ones(2, requires_grad=True), (torch.zeros(2, requires_grad=True), 3)\n"
        "s = a * 2\n"
        "s += b\n"
        "box = torch.zeros(2)\n"
        "box[0] = s[0] * 4\n"
        "class Holder:\n    pass\n"
        "h = Holder()\n"
        "h.value = box.sum()\n"
        "h.value.backward()\n"
    )
    record = run_in_process(source)
    found = names(record)
    assert found["a"] == found["b"] == "leaf"
    # `s += b` rewrites s in place: both versions of s are called s
    assert {node.op for node in record.nodes if node.name == "s"} == {"MulBackward0", "AddBackward0"}
    assert found["box"] == "CopySlices"  # a subscript assignment names the container
    assert found["h.value"] == "SumBackward0"


def test_function_locals_are_prefixed_and_expressions_are_their_text():
    source = (
        "import torch\n"
        "def layer(x, w):\n"
        "    pre = x @ w\n"
        "    return torch.sigmoid(pre) * 3\n"
        "w = torch.ones(2, 2, requires_grad=True)\n"
        "out = layer(torch.ones(1, 2), w).sum()\n"
        "out.backward()\n"
    )
    record = run_in_process(source)
    found = names(record)
    assert found["layer: pre"] == "MmBackward0"
    assert found["torch.sigmoid(pre)"] == "SigmoidBackward0"
    assert found["torch.sigmoid(pre) * 3"] == "MulBackward0"
    lines = {node.name: node.line for node in record.nodes if node.kind == "op"}
    assert lines == {"layer: pre": 3, "torch.sigmoid(pre)": 4, "torch.sigmoid(pre) * 3": 4, "out": 6}


def test_every_parameter_is_named_by_its_path_even_unread():
    source = (
        "import torch\nimport torch.nn as nn\n"
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.body = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))\n"
        "        self.gain = nn.Parameter(torch.tensor(2.0))\n"
        "    def forward(self, x):\n"
        "        return self.body(x) * self.gain\n"
        "net = Net()\n"
        "net(torch.ones(4, 2)).sum().backward()\n"
    )
    found = names(run_in_process(source))
    expected = {"net.gain", "net.body.0.weight", "net.body.0.bias", "net.body.2.weight", "net.body.2.bias"}
    assert {name for name, op in found.items() if op == "leaf"} == expected


def test_instrumenting_keeps_every_line_number():
    source = "import torch\nx = torch.ones(2)\nfor i in range(2):\n    y = x * i\n"
    tree = instrument(ast.parse(source))
    original = {node.lineno for node in ast.walk(ast.parse(source)) if hasattr(node, "lineno")}
    assert {node.lineno for node in ast.walk(tree) if hasattr(node, "lineno")} == original


def leaf_names(source: str) -> set[tuple[str | None, int | None]]:
    record = run_in_process(source)
    return {(node.name, node.line) for node in record.nodes if node.kind == "leaf" and node.requires_grad}


def test_a_model_built_again_under_one_name_leaves_each_leaf_its_own_name():
    source = (
        "import torch\n"
        "model = torch.nn.Linear(2, 1)\n"
        "model(torch.ones(2)).sum().backward()\n"
        "model = torch.nn.Linear(2, 1)\n"
        "model(torch.ones(2)).sum().backward()\n"
    )
    assert leaf_names(source) == {
        ("model.bias", 4),
        ("model.bias (line 2)", 2),
        ("model.weight", 4),
        ("model.weight (line 2)", 2),
    }


def test_a_model_kept_under_another_name_is_called_by_it():
    source = (
        "import torch\n"
        "model = torch.nn.Linear(2, 1)\n"
        "model(torch.ones(2)).sum().backward()\n"
        "first = model\n"
        "model = torch.nn.Linear(2, 1)\n"
        "model(torch.ones(2)).sum().backward()\n"
    )
    assert {name for name, _ in leaf_names(source)} == {
        "first.bias",
        "first.weight",
        "model.bias",
        "model.weight",
    }


def test_a_loop_variable_does_not_rename_the_items_it_visits():
    source = (
        "import torch\n"
        "params = [torch.randn(2, requires_grad=True) for _ in range(3)]\n"
        "for p in params:\n"
        "    (p * 2).sum().backward()\n"
    )
    assert {name for name, _ in leaf_names(source)} == {"params[0]", "params[1]", "params[2]"}


def test_a_tensor_bound_again_on_one_line_is_numbered():
    source = (
        "import torch\n"
        "kept = []\n"
        "for i in range(2):\n"
        "    x = torch.ones(2, requires_grad=True)\n"
        "    (x * i).sum().backward()\n"
        "    kept.append(x.grad)\n"
        "x = torch.ones(2, requires_grad=True)\n"
        "(x * 5).sum().backward()\n"
    )
    assert leaf_names(source) == {("x", 7), ("x (line 4, #1)", 4), ("x (line 4, #2)", 4)}


def test_names_apart_keeps_the_holder_and_marks_the_others_by_line():
    leaves = [
        LeafName("n0", "w", [], 3),
        LeafName("n1", "w", ["w"], 9),
        LeafName("n2", "w", ["v"], 5),
        LeafName("n3", "b", [], 4),
        LeafName("n4", None, [], None),
    ]
    assert names_apart(leaves) == {"n0": "w (line 3)", "n1": "w", "n2": "v", "n3": "b"}


def test_live_names_reads_variables_modules_and_containers():
    import torch

    w = torch.ones(1)
    net = torch.nn.Linear(1, 1)
    found = live_names({"w": w, "net": net, "pair": (w, 3), "table": {"k": w}, "__builtins__": {}})
    assert found[id(w)] == ["w", "pair[0]", "table['k']"]
    assert found[id(net.weight)] == ["net.weight"]
    assert len(live_names({f"t{i}": torch.ones(1) for i in range(10)}, most=4)) == 4


def test_a_leaf_unnamed_while_it_ran_takes_its_name_at_the_end():
    """Past the 16 items a list assignment names, a walrus, a registered
    parameter: named by what the program holds it as when it ends."""
    source = (
        "import torch\n"
        "ws = [torch.ones(1, requires_grad=True) for _ in range(17)]\n"
        "if (v := torch.ones(2, requires_grad=True)) is not None:\n"
        "    pass\n"
        "model = torch.nn.Linear(1, 1)\n"
        "model.register_parameter('scale', torch.nn.Parameter(torch.ones(1)))\n"
        "(sum(w * 2 for w in ws) + v.sum() + model(ws[0]) * model.scale).sum().backward()\n"
    )
    names = {name for name, _ in leaf_names(source)}
    assert {f"ws[{i}]" for i in range(17)} <= names
    assert {"v", "model.scale", "model.weight", "model.bias"} <= names


def test_a_loop_variable_over_a_long_list_leaves_the_lists_names():
    source = (
        "import torch\n"
        "params = [torch.ones(1, requires_grad=True) for _ in range(17)]\n"
        "sum(q * 2 for q in params).sum().backward()\n"
        "for p in params:\n"
        "    pass\n"
    )
    assert {name for name, _ in leaf_names(source)} == {f"params[{i}]" for i in range(17)}


def test_container_keys_name_a_tensor_only_when_short_and_plain():
    """A dict keyed by a sentence, or by an object whose repr raises, names
    nothing by its key (the record's text limit would refuse a huge name)."""
    import torch

    class Odd:
        def __repr__(self):
            raise RuntimeError("no repr")

    w = torch.ones(1)
    found = live_names({"by_text": {"x" * 100: w, "ok": w}, "by_odd": {Odd(): w}, "by_int": {3: w}})
    assert found[id(w)] == ["by_text['ok']", "by_int[3]"]
