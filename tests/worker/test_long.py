"""Long programs: the first and last passes in full, every loss, flat memory;
optimizer steps as events; the record's new fields survive JSON and a
mistyped record is one clear error."""

from __future__ import annotations

import gc
import json
import weakref

import pytest
import torch

from graphs.api import run_in_process
from graphs.record.codec import CodecError
from graphs.record.model import GraphRecord
from graphs.worker.capture import Recorder
from graphs.worker.optimizers import rule
from tests.record.test_record_types import refused

LOOP = """import torch
torch.manual_seed(0)
w = torch.randn(3, requires_grad=True)
x = torch.randn(5, 3)
opt = torch.optim.{optimizer}
for step in range({steps}):
    opt.zero_grad()
    loss = ((x @ w - 1) ** 2).mean()
    loss.backward()
    opt.step()
"""


def loop(steps: int, optimizer: str = "SGD([w], lr=0.1)") -> str:
    return LOOP.format(steps=steps, optimizer=optimizer)


# A 50-step loop keeps its head and tail and, between them, log-spaced passes
# floor(3 * (46 / 3) ** (i / 15) + 0.5) for i = 0 .. 15, without repeats (graphs.worker.spread).
KEPT_OF_50 = [0, 1, 2, 3, 4, 5, 6, 7, 9, 11, 13, 15, 19, 22, 27, 32, 38, 46, 47, 48, 49]


def test_losses_of_every_pass_equal_plain_torch_and_the_window_is_kept():
    record = run_in_process(loop(50))
    torch.manual_seed(0)
    w = torch.randn(3, requires_grad=True)
    x = torch.randn(5, 3)
    opt = torch.optim.SGD([w], lr=0.1)
    expected = []
    for _ in range(50):
        opt.zero_grad()
        loss = ((x @ w - 1) ** 2).mean()
        expected.append(loss.item())
        loss.backward()
        opt.step()
    assert [loss.value for loss in record.losses] == pytest.approx(expected, rel=1e-6)
    assert {loss.line for loss in record.losses} == {9}
    assert [run.index for run in record.passes] == KEPT_OF_50
    assert [(step.index, step.after_pass) for step in record.steps] == [(i, i) for i in KEPT_OF_50]
    assert torch.allclose(torch.tensor(record.final_grads[record.named("w").id]), w.grad)


def test_the_window_is_configurable():
    with Recorder(keep_first=1, keep_last=2) as recorder:
        w = torch.ones(2, requires_grad=True)
        for _ in range(10):
            (w * 3).sum().backward()
    assert [run.index for run in recorder.passes] == [0, 8, 9]
    assert len(recorder.losses) == 10


def test_dropped_passes_free_their_graphs():
    """Memory stays flat: nothing keeps a dropped pass's graph alive."""
    graphs = []
    with Recorder() as recorder:
        w = torch.ones(4, requires_grad=True)
        for _ in range(40):
            out = (w * 2).exp().sum()
            graphs.append(weakref.ref(out))  # the root: its graph lives as long as it does
            out.backward()
        del out
    gc.collect()
    alive = [i for i, ref in enumerate(graphs) if ref() is not None]
    assert alive == [0, 1, 2, 37, 38, 39]
    assert len(recorder.values) <= 6 * 3 and len(recorder.sites) <= 6 * 3


def test_plain_sgd_steps_show_the_rule_and_how_each_parameter_moved():
    record = run_in_process(loop(2))
    first = record.steps[0]
    assert record.step_count == 2 and first.optimizer == "SGD" and first.rule == "w ← w − 0.1·grad"
    assert first.line == 10 and first.after_pass == 0
    (change,) = first.changes
    assert change.name == "w" and change.shape == [3]
    moved = torch.tensor(change.after) - torch.tensor(change.before)
    assert torch.allclose(moved, -0.1 * torch.tensor(record.passes[0].grads[record.named("w").id]))
    assert change.change_norm == pytest.approx(moved.norm().item(), rel=1e-5)


@pytest.mark.parametrize(
    "optimizer, expected",
    [
        (
            torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.5, momentum=0.9),
            "SGD(lr=0.5, momentum=0.9)",
        ),
        (
            torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=0.001),
            "Adam(lr=0.001, betas=(0.9, 0.999), eps=1e-08)",
        ),
    ],
)
def test_other_optimizers_are_named_with_their_settings(optimizer, expected):
    assert rule(optimizer) == expected


def test_large_parameters_keep_only_the_size_of_their_change():
    record = run_in_process(
        loop(1, "Adam([w], lr=0.1)").replace("randn(3,", "randn(30,").replace("randn(5, 3)", "randn(5, 30)")
    )
    (change,) = record.steps[0].changes
    assert change.before is None and change.after is None and change.change_norm > 0
    assert record.steps[0].rule.startswith("Adam(lr=0.1, betas=(0.9, 0.999)")


def test_new_fields_round_trip_through_json():
    record = run_in_process(loop(10))
    again = GraphRecord.from_dict(json.loads(record.to_json()))
    assert again == record and again.losses and again.steps


@pytest.mark.parametrize(
    "path, value, message",
    [
        (("nodes", 0, "shape"), "2x3", "record.nodes[0].shape: expected list, got str"),
        (("losses", 1, "value"), "low", "record.losses[1].value: expected a number, got str"),
        (
            ("steps", 0, "changes", 0, "change_norm"),
            None,
            "record.steps[0].changes[0].change_norm: expected a number, got NoneType",
        ),
        (("passes", 0, "kind"), "forward", "record.passes[0].kind: expected one of ('backward', 'grad')"),
        (("edges", 0), {"src": "n0"}, "record.edges[0]: "),
    ],
)
def test_a_mistyped_record_is_one_clear_error(path, value, message):
    data = json.loads(run_in_process(loop(2)).to_json())
    assert refused(data, path, value).startswith(message)


def test_unknown_fields_are_refused():
    data = json.loads(run_in_process(loop(1)).to_json())
    data["nodes"][0]["script"] = "<b>"
    with pytest.raises(CodecError, match=r"record.nodes\[0\]: unknown field 'script'"):
        GraphRecord.from_dict(data)


def test_to_dict_equals_asdict_and_copies_every_container_above_the_tensor_contents():
    import dataclasses

    record = run_in_process(loop(12))
    data = record.to_dict()
    assert data == dataclasses.asdict(record)
    data["losses"].clear()
    data["nodes"][0]["shape"].append(99)
    assert len(record.losses) == 12 and 99 not in record.nodes[0].shape
