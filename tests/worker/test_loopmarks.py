"""Loop marks: every op knows the loop iteration that made it (graphs.worker.loopmarks),
as an entry of the record's module calls nested in what ran around it."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphs.api import run_in_process
from graphs.record.model import GraphRecord
from graphs.views.folding import fold
from graphs.worker import loopmarks
from tests.worker.test_spread import SPREAD_2000


def made_in(record: GraphRecord) -> dict[str, list[str]]:
    """Each op's class -> the chains of calls its nodes were made in (outermost
    first), in the order the ops ran (the record lists the graph from its output)."""
    found: dict[str, list[str]] = {}
    index_of = {(call.path, call.call): i for i, call in enumerate(record.modules)}
    for node in record.nodes:
        if node.kind != "op" or node.module is None:
            continue
        chain, index = [], index_of[(node.module, node.call)]
        while index is not None:
            call = record.modules[index]
            chain.append(f"{call.path}@{call.call}")
            index = call.parent
        found.setdefault(node.op, []).append(" / ".join(reversed(chain)))
    return {op: chains[::-1] for op, chains in found.items()}


def test_nested_for_loops_nest_and_count_their_iterations():
    record = run_in_process(
        "import torch\n"
        "w = torch.ones(2, requires_grad=True)\n"
        "y = w\n"
        "for i in range(2):\n"
        "    for j in range(3):\n"
        "        y = y * 2\n"
        "    y = y + 1\n"
        "y.sum().backward()\n"
    )
    chains = made_in(record)
    expected = [f"loop@L4@{i} / loop@L5@{3 * i + j}" for i in range(2) for j in range(3)]
    assert chains["MulBackward0"] == expected
    assert chains["AddBackward0"] == ["loop@L4@0", "loop@L4@1"]
    assert "SumBackward0" not in chains  # after the loops: at the top
    assert {(call.path, call.kind) for call in record.modules} == {
        ("loop@L4", "for loop"),
        ("loop@L5", "for loop"),
    }


def test_a_while_loop_its_else_and_a_break():
    record = run_in_process(
        "import torch\n"
        "w = torch.ones(1, requires_grad=True)\n"
        "y, n = w, 0\n"
        "while n < 3:\n"
        "    y = y * 2\n"
        "    n += 1\n"
        "else:\n"
        "    y = y + 1\n"
        "for k in range(5):\n"
        "    y = y - 1\n"
        "    if k == 1:\n"
        "        break\n"
        "y.exp().backward()\n"
    )
    chains = made_in(record)
    assert chains["MulBackward0"] == ["loop@L4@0", "loop@L4@1", "loop@L4@2"]
    assert "AddBackward0" not in chains  # the else: no iteration's
    assert chains["SubBackward0"] == ["loop@L9@0", "loop@L9@1"]
    assert "ExpBackward0" not in chains  # after a break: at the top again
    assert {call.kind for call in record.modules} == {"for loop", "while loop"}


def test_modules_in_iterations_and_loops_in_modules_nest():
    record = run_in_process(
        "import torch\nfrom torch import nn\n"
        "class Stack(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(2)])\n"
        "    def forward(self, x):\n"
        "        for layer in self.layers:\n"
        "            x = torch.tanh(layer(x))\n"
        "        return x\n"
        "net = Stack()\nx = torch.ones(1, 2)\n"
        "for step in range(2):\n"
        "    x = net(x)\n"
        "x.sum().backward()\n"
    )
    chains = made_in(record)
    assert chains["TanhBackward0"] == [
        f"loop@L13@{step} / net@{step} / loop@L8@{2 * step + i}" for step in range(2) for i in range(2)
    ]
    assert chains["AddmmBackward0"] == [
        f"loop@L13@{step} / net@{step} / loop@L8@{2 * step + i} / net.layers.{i}@{step}"
        for step in range(2)
        for i in range(2)
    ]


def test_a_loop_in_a_function_and_an_exception_leaving_a_loop():
    record = run_in_process(
        "import torch\n"
        "def twice(y):\n"
        "    for _ in range(2):\n"
        "        y = y * 3\n"
        "    return y\n"
        "w = torch.ones(1, requires_grad=True)\n"
        "y = twice(twice(w))\n"
        "try:\n"
        "    for i in range(4):\n"
        "        y = y + 1\n"
        "        raise ValueError\n"
        "except ValueError:\n"
        "    pass\n"
        "y.sin().backward()\n"
    )
    chains = made_in(record)
    assert chains["MulBackward0"] == [f"loop@L3@{i}" for i in range(4)]  # counted on across calls
    assert chains["AddBackward0"] == ["loop@L9@0"]
    assert "SinBackward0" not in chains


def test_loops_of_a_generator_are_left_unmarked():
    """A generator's loop runs between the caller's statements: marking it would claim the caller's ops."""
    record = run_in_process(
        "import torch\n"
        "def batches():\n"
        "    for i in range(3):\n"
        "        yield torch.full((1,), float(i))\n"
        "w = torch.ones(1, requires_grad=True)\n"
        "total = w * 0\n"
        "for xb in batches():\n"
        "    total = total + w * xb\n"
        "total.backward()\n"
    )
    assert {call.path for call in record.modules} == {"loop@L7"}
    assert made_in(record)["AddBackward0"] == ["loop@L7@0", "loop@L7@1", "loop@L7@2"]


def test_iterations_past_the_cap_belong_to_their_enclosing_entry(monkeypatch):
    monkeypatch.setattr(loopmarks, "MAX_ITERATIONS", 3)
    record = run_in_process(
        "import torch\nw = torch.ones(1, requires_grad=True)\ny = w\n"
        "for i in range(5):\n    y = y * 2\ny.sum().backward()\n"
    )
    assert made_in(record)["MulBackward0"] == ["loop@L4@0", "loop@L4@1", "loop@L4@2"]
    assert sum(node.op == "MulBackward0" for node in record.nodes) == 5


@pytest.mark.parametrize("source", ["for i in range(3): pass\n", "while False:\n    pass\n"])
def test_loops_without_ops_leave_no_entry(source):
    record = run_in_process(
        f"import torch\n{source}w = torch.ones(1, requires_grad=True)\n(w * 2).sum().backward()\n"
    )
    assert record.modules == []


def test_a_long_loop_keeps_the_true_numbers_of_the_iterations_it_keeps():
    """2,000 steps keep their first and last three passes (graphs.worker.loops) and a
    log-spaced spread between them (graphs.worker.spread): their iterations are
    numbered as they ran, counted while capture was quiet too."""
    source = (Path(__file__).parents[1] / "corpus" / "06_long_training_loop.py").read_text()
    record = run_in_process(source)
    kept = [0, 1, 2, *SPREAD_2000, 1997, 1998, 1999]
    assert [call.call for call in record.modules if call.path == "loop@L22"] == kept
    assert [run.index for run in record.passes] == kept  # one pass per iteration
    [box] = fold(record, frozenset()).boxes
    assert (box.count, box.kind) == (22, "for loop, line 22: iterations 0–3, 5, …, 1996–1999")
