"""modulestack: which nn.Module call made each op (the innermost one, and
which call of it), with paths under the name the program gave the module."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from graphs.api import run_in_process
from graphs.worker.modulestack import ModuleStack


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)

    def forward(self, x):
        return torch.tanh(self.fc(x))


class Twice(nn.Module):
    """Calls its one block twice: two calls of `block`, each with its own `block.fc` call."""

    def __init__(self):
        super().__init__()
        self.block = Block()
        self.head = nn.Linear(2, 1)

    def forward(self, x):
        return self.head(self.block(self.block(x)))


def _run(model, *inputs, root: bool = True):
    with ModuleStack() as stack:
        stack.recording = True
        if root:
            stack.name_root(model)
        model(*inputs)
    return stack


def test_calls_nest_with_paths_call_numbers_and_parents():
    torch.manual_seed(0)
    stack = _run(Twice(), torch.ones(1, 2))
    assert stack.calls == [
        ("block", 0, "Block", None),
        ("block.fc", 0, "Linear", 0),
        ("block", 1, "Block", None),
        ("block.fc", 1, "Linear", 2),
        ("head", 0, "Linear", None),
    ]
    assert stack.top is None  # every call popped


def test_top_is_the_innermost_call_while_an_op_runs():
    seen = []

    class Probe(nn.Module):
        def forward(self, x):
            seen.append(stack.top)
            return x

    outer = nn.Sequential(nn.Sequential(Probe()), Probe())
    with ModuleStack() as stack:
        stack.recording = True
        stack.name_root(outer)
        outer(torch.ones(1))
    assert [stack.calls[i][:2] for i in seen] == [("0.0", 0), ("1", 0)]
    assert stack.calls[stack.calls[seen[0]][3]][0] == "0"


def test_unnamed_modules_are_named_by_class_under_the_running_call():
    """Outside a program nobody named them: `Linear`, a second one `Linear_2`,
    and a module first called inside another under that call's path."""
    first, second = nn.Linear(2, 2), nn.Linear(2, 2)
    with ModuleStack() as stack:
        stack.recording = True
        first(torch.ones(2))
        second(torch.ones(2))
        first(torch.ones(2))
        nn.Sequential(nn.Identity())(torch.ones(2))
    assert [c[:2] for c in stack.calls] == [
        ("Linear", 0),
        ("Linear_2", 0),
        ("Linear", 1),
        ("Sequential", 0),
        ("Sequential.0", 0),
    ]


def test_nothing_recorded_unless_recording():
    with ModuleStack() as stack:
        nn.Linear(2, 2)(torch.ones(2))
    assert stack.calls == [] and stack.top is None


def test_a_forward_that_raises_still_pops_its_call():
    class Broken(nn.Module):
        def forward(self, x):
            raise ValueError("broken")

    with ModuleStack() as stack:
        stack.recording = True
        with pytest.raises(ValueError):
            nn.Sequential(Broken())(torch.ones(1))
        nn.Linear(1, 1)(torch.ones(1))
    assert stack.top is None
    assert [(c[0], c[3]) for c in stack.calls] == [
        ("Sequential", None),
        ("Sequential.0", 0),
        ("Linear", None),
    ]


def test_quiet_takes_the_hooks_off_and_puts_them_back():
    """The root given to name_root is the graph itself (no call of its own);
    its child's call made while quiet is not kept, the one after is."""
    model = nn.Sequential(nn.Linear(2, 2))
    with ModuleStack() as stack:
        stack.recording = True
        stack.name_root(model)
        stack.quiet(True)
        assert stack._handles == []
        model(torch.ones(2))
        assert stack.calls == []
        stack.quiet(False)
        model(torch.ones(2))
    assert stack.calls == [("0", 0, "Linear", None)]
    assert stack._handles == []


def test_hooks_removed_on_exit():
    with ModuleStack() as stack:
        stack.recording = True
    nn.Linear(2, 2)(torch.ones(2))
    assert stack.calls == []


PROGRAM = """import torch
import torch.nn as nn
torch.manual_seed(0)
class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)
    def forward(self, x):
        return torch.tanh(self.fc(x))
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.head = nn.Linear(2, 1)
    def forward(self, x):
        h = self.block(x)
        h = self.block(h)
        return self.head(h)
net = Net()
loss = net(torch.ones(1, 2)).sum() * 2
loss.backward()
"""


def test_program_ops_belong_to_the_innermost_module_and_its_call():
    """Paths are under the program's own name (`net`); the block is called
    twice, so its tanh and its linear each appear as call 0 and call 1."""
    record = run_in_process(PROGRAM)
    ops = sorted((n.op, n.module, n.call) for n in record.nodes if n.kind == "op")
    assert ops == [
        ("AddmmBackward0", "net.block.fc", 0),
        ("AddmmBackward0", "net.block.fc", 1),
        ("AddmmBackward0", "net.head", 0),
        ("MulBackward0", None, None),
        ("SumBackward0", None, None),
        ("TBackward0", "net.block.fc", 0),
        ("TBackward0", "net.block.fc", 1),
        ("TBackward0", "net.head", 0),
        ("TanhBackward0", "net.block", 0),
        ("TanhBackward0", "net.block", 1),
    ]
    assert [(m.path, m.call, m.kind, m.parent) for m in record.modules] == [
        ("net", 0, "Net", None),
        ("net.block", 0, "Block", 0),
        ("net.block.fc", 0, "Linear", 1),
        ("net.block", 1, "Block", 0),
        ("net.block.fc", 1, "Linear", 3),
        ("net.head", 0, "Linear", 0),
    ]


def test_program_call_order_follows_the_data():
    """The first block call's tanh is the input of the second block call: the
    grad_fn graph agrees with the call numbers."""
    record = run_in_process(PROGRAM)
    children = {}
    for edge in record.edges:
        children.setdefault(edge.src, []).append(record.node(edge.dst))
    tanh = {n.call: n for n in record.nodes if n.op == "TanhBackward0"}
    second_fc = next(c for c in children[tanh[1].id] if c.op == "AddmmBackward0")
    assert second_fc.call == 1
    assert tanh[0].id in {c.id for c in children[second_fc.id]}


def test_a_module_made_anew_in_each_iteration_keeps_one_path_outside_the_loop():
    """`nn.CrossEntropyLoss()(logits, y)` in a training loop: each iteration makes
    a new module. It belongs where the loop is (the gate reads any path under a
    loop entry as a forged iteration), and its calls are 0, 1, 2 of one path."""
    record = run_in_process(
        "import torch\n"
        "from torch import nn\n"
        "torch.manual_seed(0)\n"
        "net = nn.Linear(4, 3)\n"
        "x, y = torch.randn(8, 4), torch.randint(0, 3, (8,))\n"
        "for epoch in range(3):\n"
        "    loss = nn.CrossEntropyLoss()(net(x), y)\n"
        "    loss.backward()\n"
    )
    made = [(call.path, call.call) for call in record.modules if call.kind == "CrossEntropyLoss"]
    assert made == [("CrossEntropyLoss", 0), ("CrossEntropyLoss", 1), ("CrossEntropyLoss", 2)]
    assert [call.kind for call in record.modules if call.path == "loop@L6"] == ["for loop"] * 3
