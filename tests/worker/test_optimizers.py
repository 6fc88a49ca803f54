"""optimizers: each optimizer.step() as an event, with the rule it applied
and how far each parameter moved."""

from __future__ import annotations

import pytest
import torch

from graphs.api import run_in_process
from graphs.worker.capture import Recorder
from graphs.worker.optimizers import rule

SGD_PROGRAM = """import torch
torch.manual_seed(0)
w = torch.randn(3, requires_grad=True)
big = torch.randn(20, requires_grad=True)
unused = torch.randn(2, requires_grad=True)
opt = torch.optim.SGD([w, big, unused], lr=0.1)
grads = []
for i in range(2):
    opt.zero_grad()
    loss = (w * w).sum() + (big * big).sum()
    loss.backward()
    grads.append((w.grad.clone(), big.grad.clone()))
    opt.step()
"""


@pytest.fixture(scope="module")
def sgd():
    namespace = {}
    exec(compile(SGD_PROGRAM, "<expected>", "exec"), namespace)  # the same run, uncaptured
    return run_in_process(SGD_PROGRAM), namespace["grads"]


def test_sgd_step_rule_and_change_norm_is_lr_times_grad_norm(sgd):
    record, grads = sgd
    assert record.step_count == 2 and len(record.steps) == 2
    for step, (w_grad, big_grad) in zip(record.steps, grads, strict=True):
        assert (step.optimizer, step.rule, step.line) == ("SGD", "w ← w − 0.1·grad", 13)
        w, big = step.changes
        assert (w.name, w.shape, big.name, big.shape) == ("w", [3], "big", [20])
        assert w.change_norm == pytest.approx(0.1 * w_grad.norm().item(), rel=1e-5)
        assert big.change_norm == pytest.approx(0.1 * big_grad.norm().item(), rel=1e-5)
        expected_after = torch.tensor(w.before) - 0.1 * w_grad
        assert torch.allclose(torch.tensor(w.after), expected_after)


def test_steps_follow_their_passes_and_chain_up(sgd):
    """A step's `before` is the previous step's `after` (nothing moved w in between)."""
    record, _ = sgd
    assert [(s.index, s.after_pass) for s in record.steps] == [(0, 0), (1, 1)]
    first, second = record.steps
    assert second.changes[0].before == first.changes[0].after


def test_parameters_without_a_gradient_and_large_ones(sgd):
    """`unused` got no gradient: not part of the step. `big` (20 > 16
    elements) has its norm, not its numbers."""
    record, _ = sgd
    for step in record.steps:
        assert [c.name for c in step.changes] == ["w", "big"]
        assert step.changes[1].before is None and step.changes[1].after is None
        assert len(step.changes[0].before) == 3


def test_rule_written_out_for_plain_sgd_only():
    p = torch.nn.Parameter(torch.zeros(2))
    assert rule(torch.optim.SGD([p], lr=0.1)) == "w ← w − 0.1·grad"
    assert rule(torch.optim.SGD([p], lr=1e-3)) == "w ← w − 0.001·grad"
    assert rule(torch.optim.SGD([p], lr=0.1, momentum=0.9)) == "SGD(lr=0.1, momentum=0.9)"
    assert (
        rule(torch.optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4))
        == "SGD(lr=0.1, momentum=0.9, weight_decay=0.0001, nesterov=True)"
    )
    assert rule(torch.optim.SGD([p], lr=0.1, maximize=True)) == "SGD(lr=0.1, maximize=True)"
    assert rule(torch.optim.Adam([p], lr=0.01)) == "Adam(lr=0.01, betas=(0.9, 0.999), eps=1e-08)"
    assert rule(torch.optim.SGD([p], lr=torch.tensor(0.25))) == "w ← w − 0.25·grad"
    assert rule(torch.optim.Adam([p], lr=0.0, foreach=True)).startswith("Adam(lr=0, ")


def test_a_parameter_changed_between_steps_is_copied_again():
    """The previous step's copy is reused only while the parameter's version
    is unchanged: an in-place edit in between must show in `before`."""
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.5)
    with Recorder() as rec:
        rec.label(w, "w", explicit=True)
        for _ in range(2):
            (w * 3).sum().backward()
            opt.step()
            opt.zero_grad()
            with torch.no_grad():
                w.mul_(2)
    record = rec.record()
    first, second = (step.changes[0] for step in record.steps)
    assert first.before == [1.0, 2.0] and first.after == [-0.5, 0.5]
    assert second.before == [-1.0, 1.0] and second.after == [-2.5, -0.5]
    assert first.change_norm == pytest.approx(0.5 * torch.tensor([3.0, 3.0]).norm().item())
    assert first.name == "w"


def test_a_long_loop_keeps_the_steps_next_to_kept_passes():
    w = torch.tensor([1.0], requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.1)
    with Recorder(keep_first=1, keep_last=1) as rec:
        for _ in range(5):
            opt.zero_grad()
            (w * w).sum().backward()
            opt.step()
    record = rec.record()
    assert record.step_count == 5
    assert [(s.index, s.after_pass) for s in record.steps] == [(0, 0), (4, 4)]
    assert [p.index for p in record.passes] == [0, 4]
    # w shrinks by 0.8 a step: w_k = 0.8 ** k, change 0.2 * w_k.
    assert [s.changes[0].change_norm for s in record.steps] == pytest.approx([0.2, 0.2 * 0.8**4])


def test_the_optimizers_own_ops_draw_nothing():
    """Observing is off while the optimizer runs: its in-place updates under
    no_grad leave no node and no cut in the record."""
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.1, momentum=0.9)
    with Recorder() as rec:
        loss = (w * w).sum()
        loss.backward()
        opt.step()
    record = rec.record()
    assert sorted(n.op or n.kind for n in record.nodes) == ["MulBackward0", "SumBackward0", "leaf", "output"]
    assert record.no_grad_edges == []
    assert record.steps[0].rule == "SGD(lr=0.1, momentum=0.9)"
    assert record.steps[0].changes[0].after == pytest.approx([0.8, 1.6])


def test_a_step_with_a_closure_records_what_it_moved():
    """SGD/LBFGS given a closure compute the gradient inside step(): w moves
    from [1, -2] to [1.4, -1.0] (lr 0.1, grad 2(w - 3) = [-4, -10])."""
    record = run_in_process(
        "import torch\n"
        "w = torch.tensor([1.0, -2.0], requires_grad=True)\n"
        "opt = torch.optim.SGD([w], lr=0.1)\n"
        "def closure():\n"
        "    opt.zero_grad()\n"
        "    loss = ((w - 3) ** 2).sum()\n"
        "    loss.backward()\n"
        "    return loss\n"
        "opt.step(closure)\n"
    )
    [step] = record.steps
    [change] = step.changes
    assert change.name == "w"
    assert change.before == [1.0, -2.0]
    assert change.after == pytest.approx([1.4, -1.0])
    assert change.change_norm == pytest.approx(0.1 * (16 + 100) ** 0.5)
