"""The spread of kept passes is on for every front end and bounded by a budget
(graphs.worker.spread.BUDGET, a quarter of the gate's limits): a big model
keeps fewer middle passes, never fewer head or tail ones, and its record
stays within the budget at the gate; each kept middle pass keeps its step."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from graphs.api import run_in_process
from graphs.record import decode
from graphs.record.model import GraphRecord
from graphs.worker.spread import BUDGET, Cost, Spread, log_spaced, pass_cost

TRAIN = """import torch
import torch.nn as nn
torch.manual_seed(0)
model = {model}
opt = torch.optim.SGD(model.parameters(), lr=0.001)
x = {x}
for step in range({steps}):
    opt.zero_grad()
    loss = model(x).pow(2).mean()
    loss.backward()
{steps_made}
"""


def train(model: str, x: str, steps: int = 300, steps_made: str = "    opt.step()") -> str:
    return TRAIN.format(model=model, x=x, steps=steps, steps_made=steps_made)


# 8 x (Linear(32, 32), Tanh) on a batch of 32: every activation and gradient
# has 1,024 entries, listed in full, about 62,000 entries a pass.
LAYERS = "nn.Sequential(*[m for _ in range(8) for m in (nn.Linear(32, 32), nn.Tanh())])"
WIDE = train(LAYERS, "torch.randn(32, 32)", 100)
# 150 x Linear(1, 1): about 600 nodes a pass (ops and the 300 parameters' leaves), few entries.
DEEP = train("nn.Sequential(*[nn.Linear(1, 1) for _ in range(150)])", "torch.ones(1, 1)")


def through_the_gate(record: GraphRecord, limits: decode.Limits) -> GraphRecord:
    """The record as the server reads it: its wire form, decoded under `limits`."""
    return decode.record(json.loads(json.dumps(record.to_wire())), limits)


def test_the_front_ends_keep_head_full_spread_and_tail_and_the_gate_takes_22_passes():
    record = run_in_process(train("nn.Linear(4, 1)", "torch.randn(8, 4)"))
    kept = [0, 1, 2, 3, 4, 6, 8, 10, 14, 19, 26, 35, 47, 64, 87, 118, 160, 218, 296, 297, 298, 299]
    assert kept[3:-3] == log_spaced(3, 296, 16)
    gated = through_the_gate(record, decode.Limits())
    assert [run.index for run in gated.passes] == kept
    assert [(step.index, step.after_pass) for step in gated.steps] == [(i, i) for i in kept]
    assert len(gated.losses) == gated.step_count == 300


def test_a_wide_model_keeps_the_spread_only_while_its_entries_fit_the_budget():
    """Head, tail and all 16 spread passes would list ~1.4 million entries, 70%
    of the gate's limit: the spread stops after two, and the record is
    within a quarter of the limit, the budget. (Passes 3 and 4 are the first
    of the spread, log-spaced from 3 to 96.)"""
    record = run_in_process(WIDE)
    assert [run.index for run in record.passes] == [0, 1, 2, 3, 4, 97, 98, 99]
    assert [step.after_pass for step in record.steps] == [0, 1, 2, 3, 4, 97, 98, 99]
    assert len(record.losses) == 100
    quarter = replace(decode.Limits(), max_total_entries=BUDGET.entries)
    assert len(through_the_gate(record, quarter).passes) == 8
    with pytest.raises(decode.TooLarge, match="total entries"):  # the budget is nearly spent
        through_the_gate(record, replace(quarter, max_total_entries=BUDGET.entries * 9 // 10))


def test_a_deep_model_keeps_the_spread_only_while_its_nodes_fit_the_budget():
    record = run_in_process(DEEP)
    assert [run.index for run in record.passes] == [0, 1, 2, 3, 4, 6, 8, 297, 298, 299]
    assert [step.after_pass for step in record.steps] == [0, 1, 2, 3, 4, 6, 8, 297, 298, 299]
    assert len(through_the_gate(record, replace(decode.Limits(), max_nodes=BUDGET.nodes)).passes) == 10


def test_a_model_too_large_for_any_spread_keeps_head_and_tail():
    record = run_in_process(WIDE.replace("range(8)", "range(12)"))
    assert [run.index for run in record.passes] == [0, 1, 2, 97, 98, 99]


def test_each_middle_pass_keeps_the_first_of_its_steps():
    """Two steps a pass: head and tail keep three steps each as before, and
    each spread pass the step its gradients made first."""
    two_steps = "    opt.step()\n    opt.step()"
    record = run_in_process(train("nn.Linear(4, 1)", "torch.randn(8, 4)", 40, two_steps))
    spread = [3, 4, 5, 6, 7, 8, 10, 11, 13, 16, 19, 22, 26, 31, 36]
    assert [run.index for run in record.passes] == [0, 1, 2, *spread, 37, 38, 39]
    assert record.step_count == 80
    after = [(step.index, step.after_pass) for step in record.steps]
    assert after == [(0, 0), (1, 0), (2, 1), *((2 * i, i) for i in spread), (77, 38), (78, 39), (79, 39)]


def fake_pass(index: int, nodes: int) -> SimpleNamespace:
    """A pass of `nodes` nodes, each with a 2-entry gradient and nothing else listed."""
    fns = [object() for _ in range(nodes)]
    grads = dict.fromkeys(fns, torch.zeros(2))
    return SimpleNamespace(index=index, attrs=dict.fromkeys(fns), grads=grads, grad_inputs={}, leaf_grads={})


def test_a_pass_costs_its_nodes_and_the_entries_listed_for_them():
    small, large = object(), object()
    hooks = SimpleNamespace(
        index=0,
        attrs={small: {}, large: {}},
        grads={small: torch.zeros(3, 4), large: torch.zeros(2000)},  # over 1,024: a summary, not listed
        grad_inputs={small: [torch.zeros(5), None], large: [torch.zeros(256)]},
        leaf_grads={small: torch.zeros(7)},
    )
    values = {small: SimpleNamespace(tensor=torch.zeros(10))}
    assert pass_cost(hooks, values) == Cost(nodes=2, entries=7 + 12 + 10 + 5 + 256)


def test_the_spread_closes_when_one_more_pass_and_the_tail_would_pass_the_budget():
    spread = Spread(keep_first=1, keep_last=1, count=6, budget=Cost(nodes=10, entries=1_000))
    spread.plan(total=100, next_index=1)
    planned = sorted(spread.kept)
    for index in (0, *planned[:3]):
        spread.ran(fake_pass(index, nodes=2), {})
    # head 2 + three spread passes 6 = 8; one more and a tail pass would be 12 nodes
    assert spread.closed and sorted(spread.kept) == planned[:3]
    spread.plan(total=2000, next_index=planned[3])  # a longer run plans nothing more
    assert sorted(spread.kept) == planned[:3]


def test_a_spread_pass_that_leaves_no_room_for_the_tail_is_given_up():
    spread = Spread(keep_first=1, keep_last=1, count=6, budget=Cost(nodes=10, entries=1_000))
    spread.plan(total=100, next_index=1)
    first, second = sorted(spread.kept)[:2]
    spread.ran(fake_pass(0, nodes=2), {})
    spread.ran(fake_pass(first, nodes=2), {})
    spread.ran(fake_pass(second, nodes=5), {})  # 2 + 2 + 5, and a tail pass as large: 14
    assert spread.closed and sorted(spread.kept) == [first]
    assert sorted(spread.costs) == [0, first]


def test_iterations_making_more_passes_than_their_loop_counts_keep_the_planned_passes():
    """The physics-informed loop makes four passes an iteration (three
    `autograd.grad` inside the loss, then `backward`), more than its loop
    promised: a planned pass inside an iteration run without capture made the
    window drop a pass it did not hold (StopIteration), and the spread now
    looks at as many passes as the last iteration made."""
    source = (Path(__file__).parents[1] / "corpus" / "66_physics_informed_ode.py").read_text()
    record = run_in_process(source)
    assert len(record.losses) == 120
    spread = [4, 5, 6, 7, 8, 9, 11, 13, 15, 16, 19, 20, 26, 34, 51, 95]
    assert [run.index for run in record.passes] == [0, 1, 2, *spread, 117, 118, 119]
