"""A counted training loop keeps a log-spaced spread of passes in full between
its head and tail (graphs.worker.spread): exactly the documented indices, each
with plain torch's gradients at that step; a loop of unknown length keeps only
head and tail, as before."""

from __future__ import annotations

import torch

from graphs.record.model import GraphRecord
from graphs.worker.capture import capture_program
from graphs.worker.spread import SPREAD, Spread, log_spaced

STEPS = 2000
LOOP = f"""import torch
torch.manual_seed(0)
w = torch.randn(3, requires_grad=True)
x = torch.randn(5, 3)
opt = torch.optim.SGD([w], lr=0.01)
for step in range({STEPS}):
    opt.zero_grad()
    loss = ((x @ w - 1) ** 2).mean()
    loss.backward()
    opt.step()
"""


def run_with_spread(source: str) -> GraphRecord:
    recorder, outcome = capture_program(source, spread=SPREAD)
    return recorder.record(prints=outcome.prints, source=source)


# The middle passes a 2,000-step loop keeps between head (0-2) and tail (1997-1999): 16 of
# 3 .. 1996 log-spaced, floor(3 * (1996 / 3) ** (i / 15) + 0.5) (graphs.worker.spread).
SPREAD_2000 = [3, 5, 7, 11, 17, 26, 40, 62, 96, 148, 229, 353, 544, 839, 1294, 1996]


def plain_grads(steps: set[int]) -> dict[int, torch.Tensor]:
    """`w.grad` right after the backward of each of `steps`, in plain torch."""
    torch.manual_seed(0)
    w = torch.randn(3, requires_grad=True)
    x = torch.randn(5, 3)
    opt = torch.optim.SGD([w], lr=0.01)
    grads = {}
    for step in range(STEPS):
        opt.zero_grad()
        loss = ((x @ w - 1) ** 2).mean()
        loss.backward()
        if step in steps:
            grads[step] = w.grad.clone()
        opt.step()
    return grads


def test_the_spread_of_a_2000_pass_loop_is_log_spaced_between_head_and_tail():
    assert log_spaced(3, STEPS - 3 - 1, 16) == SPREAD_2000
    record = run_with_spread(LOOP)
    assert [run.index for run in record.passes] == [0, 1, 2, *SPREAD_2000, 1997, 1998, 1999]
    assert len(record.losses) == STEPS
    window, _ = capture_program(LOOP)  # alone: head and tail (the front ends ask for the spread)
    assert [run.index for run in window.passes] == [0, 1, 2, 1997, 1998, 1999]


def test_each_kept_pass_has_plain_torchs_gradients_at_its_step_on_a_graph_of_its_own():
    record = run_with_spread(LOOP)
    expected = plain_grads({run.index for run in record.passes})
    w, x = record.named("w").id, record.named("x").id
    for position, run in enumerate(record.passes):
        got = torch.tensor(run.grads[w])
        assert torch.allclose(got, expected[run.index], rtol=1e-5, atol=1e-7), run.index
        assert torch.allclose(torch.tensor(run.grad_after[w]), expected[run.index], rtol=1e-5, atol=1e-7)
        drawn = record.shown_nodes(position)
        assert drawn is not None and w in drawn
        others = record.shown_nodes((position + 1) % len(record.passes))
        assert drawn & others == {w, x}  # ops are this pass's own; only the leaves are shared


def test_a_while_loop_keeps_only_its_head_and_tail():
    source = LOOP.replace(f"for step in range({STEPS}):", "step = 0\nwhile step < 300:\n    step += 1")
    record = run_with_spread(source)
    assert [run.index for run in record.passes] == [0, 1, 2, 297, 298, 299]


def test_a_replan_keeps_the_passes_behind_and_at_most_count_in_all():
    spread = Spread(keep_first=3, keep_last=3, count=16)
    spread.plan(total=100, next_index=1)
    first = sorted(spread.kept)
    assert first == log_spaced(3, 96, 16)
    spread.plan(total=2000, next_index=50)  # an outer loop's count became certain
    behind = [index for index in first if index < 50]
    assert sorted(spread.kept)[: len(behind)] == behind
    assert len(spread.kept) == 16
    assert sorted(spread.kept)[len(behind) :] == log_spaced(3, 1996, 16)[-(16 - len(behind)) :]
    assert spread.due(1294, 1, 0) and not spread.due(1295, 1, 0)
