"""graphs.worker.health: the checks the diagnosis's numbers come from, on real tensors."""

from __future__ import annotations

import pytest
import torch

from graphs.errors import ProgramError
from graphs.worker.capture import capture_program
from graphs.worker.health import _norm, dead_units, finite
from graphs.worker.jobs import run_in_process


def test_finite_sees_one_nan_or_inf_in_a_large_tensor():
    values = torch.ones(100_000)
    assert finite(values)
    values[77_777] = float("nan")
    assert not finite(values)
    values[77_777] = -float("inf")
    assert not finite(values)


def test_finite_is_not_fooled_by_a_sum_that_overflows():
    assert finite(torch.full((4,), 3e38))  # the sum is inf, every entry finite


def test_dead_units_counts_units_with_no_gradient_for_the_whole_batch():
    sent = torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]])  # batch of 2, 3 units: unit 0 dead
    assert dead_units(sent) == (3, 1, 2)
    channels = torch.zeros(2, 4, 3, 3)
    channels[1, 2, 0, 1] = 0.5  # 4 channels of a conv, only channel 2 got a gradient
    assert dead_units(channels) == (4, 3, 2)
    assert dead_units(torch.tensor([0.0, 3.0])) == (2, 1, 1)
    assert dead_units(torch.tensor(1.0)) is None


# --- where the first NaN or Inf appeared, in the record -------------------------------


def findings_of(source: str) -> list:
    """The findings of a program's record, a failing program's partial one included."""
    try:
        record = run_in_process(source)
    except ProgramError as err:
        record = err.record
    return record.findings


def test_a_nan_made_in_the_forward_names_its_op_line_pass_and_inputs():
    (found,) = findings_of(
        "import torch\n"
        "x = torch.tensor([1.0, -0.5, 2.0], requires_grad=True)\n"
        "y = x * 2\n"
        "z = torch.log(y)\n"
        "z.sum().backward()\n"
    )
    assert (found.kind, found.stage, found.line, found.op, found.pass_index) == (
        "nan",
        "forward",
        4,
        "log",
        0,
    )
    assert [(operand.role, operand.value) for operand in found.operands][0] == ("input 1", [2.0, -1.0, 4.0])
    assert found.operands[-1].value[1] != found.operands[-1].value[1]  # the output's NaN


def test_an_inf_made_in_the_backward_names_the_node_that_sent_it():
    source = (
        "import torch\n"
        "x = torch.tensor([0.0, 1.0], requires_grad=True)\n"
        "s = torch.sqrt(x)\n"
        "s.sum().backward()\n"
    )
    record = run_in_process(source)
    (found,) = record.findings
    assert (found.kind, found.stage, found.line, found.op) == ("inf", "backward", 3, "SqrtBackward0")
    assert record.node(found.node).op == "SqrtBackward0"
    roles = {operand.role: operand.value for operand in found.operands}
    assert roles["value"] == [0.0, 1.0] and roles["gradient in"] == [1.0, 1.0]
    assert roles["gradient sent"] == [float("inf"), 0.5]


def test_one_inf_in_a_tensor_too_large_to_list_is_found():
    (found,) = findings_of(
        "import torch\n"
        "x = torch.ones(300, 300, requires_grad=True)\n"
        "y = x * 1.0\n"
        "z = y / (x - 1).abs().clamp(max=1).flatten()[0:1]\n"
        "z.sum().backward()\n"
    )
    assert (found.kind, found.line, found.op) == ("inf", 4, "div")


def test_anomaly_mode_raising_in_backward_still_names_the_node():
    source = (
        "import torch\n"
        "torch.autograd.set_detect_anomaly(True)\n"
        "x = torch.tensor([0.0, 1.0], requires_grad=True)\n"
        "s = torch.sqrt(x)\n"
        "(s * 0).sum().backward()\n"
    )
    with pytest.raises(ProgramError) as info:
        run_in_process(source)
    assert "returned nan values" in str(info.value)
    (found,) = info.value.record.findings
    assert (found.kind, found.stage, found.line, found.op) == ("nan", "backward", 4, "SqrtBackward0")


def test_a_program_stopping_on_its_nan_keeps_the_finding():
    source = (
        "import torch\n"
        "x = torch.tensor([1.0, -0.5], requires_grad=True)\n"
        "y = torch.log(x).sum()\n"
        "assert torch.isfinite(y), 'loss is nan'\n"
    )
    with pytest.raises(ProgramError):
        run_in_process(source)
    (found,) = findings_of(source)
    assert (found.kind, found.line, found.op, found.pass_index) == ("nan", 3, "log", None)


SQRT_LOOP = (
    "import torch\n"
    "w = torch.tensor([3.0], requires_grad=True)\n"
    "for step in range(20):\n"
    "    loss = torch.sqrt(w).sum()\n"
    "    loss.backward()\n"
    "    with torch.no_grad():\n"
    "        w -= w.grad * 2.5\n"
    "        w.grad = None\n"
)


def test_a_nan_inside_a_training_loop_is_found_at_its_iteration():
    # w: 3 -> 2.28 -> 1.45 -> 0.41 -> -1.56: the fifth pass's sqrt makes the NaN, a pass
    # the spread over the run keeps in full
    (found,) = findings_of(SQRT_LOOP)
    assert (found.kind, found.stage, found.line, found.op, found.pass_index) == (
        "nan",
        "forward",
        4,
        "sqrt",
        4,
    )


def test_a_nan_made_where_the_loop_ran_without_capture_is_told_from_its_loss():
    # head and tail only: the fifth pass runs without capture, so its loss names the pass,
    # the line the loss is made at and the op that made it; the origin the worker sees
    # later, in the tail, is a consequence and is not told
    recorder, _ = capture_program(SQRT_LOOP, spread=0)
    record = recorder.record()
    assert 4 not in [run.index for run in record.passes]
    (found,) = record.findings
    assert (found.kind, found.stage, found.line, found.op, found.pass_index) == (
        "nan",
        "forward",
        4,
        "SumBackward0",
        4,
    )


def test_a_nan_in_a_short_training_loop_names_its_op():
    (found,) = findings_of(
        "import torch\n"
        "w = torch.tensor([3.0], requires_grad=True)\n"
        "for step in range(6):\n"
        "    loss = torch.sqrt(w).sum()\n"
        "    loss.backward()\n"
        "    with torch.no_grad():\n"
        "        w -= w.grad * 2.5\n"
        "        w.grad = None\n"
    )
    assert (found.kind, found.stage, found.line, found.op, found.pass_index) == (
        "nan",
        "forward",
        4,
        "sqrt",
        4,
    )


def test_masks_made_with_minus_infinity_on_purpose_are_no_finding():
    assert not findings_of(
        "import torch\n"
        "x = torch.randn(4, 4, requires_grad=True)\n"
        "mask = torch.ones(4, 4).triu(1).bool()\n"
        "scores = x.masked_fill(mask, float('-inf'))\n"
        "torch.softmax(scores, dim=-1).sum().backward()\n"
    )


def test_a_relus_dead_units_are_counted_per_pass():
    record = run_in_process(
        "import torch\n"
        "torch.manual_seed(0)\n"
        "w = torch.randn(3, 4, requires_grad=True)\n"
        "b = torch.tensor([0.0, -20.0, 0.0, -20.0])\n"
        "h = torch.relu(torch.randn(10, 3) @ w + b)\n"
        "h.sum().backward()\n"
    )
    ((node_id, counts),) = record.passes[0].relu.items()
    assert record.node(node_id).op == "ReluBackward0"
    assert (counts.units, counts.batch) == (4, 10) and counts.dead >= 2
    assert record.passes[0].norms[node_id] == pytest.approx(float(torch.tensor(1.0).expand(10, 4).norm()))


def test_an_all_masked_attention_row_makes_its_nan_at_the_softmax():
    # -inf written into the scores is the mask, on purpose; a row masked entirely
    # has nothing to normalise, and the softmax makes NaN of it
    (found,) = findings_of(
        "import torch\n"
        "scores = torch.randn(3, 3, requires_grad=True)\n"
        "mask = torch.tensor([[False, True, True], [True, True, True], [False, False, True]])\n"
        "masked = scores.masked_fill(mask, float('-inf'))\n"
        "weights = torch.softmax(masked, dim=-1)\n"
        "weights.sum().backward()\n"
    )
    assert (found.kind, found.stage, found.line, found.op) == ("nan", "forward", 5, "softmax")


def test_norms_of_tiny_and_huge_float32_gradients_are_measured_not_rounded():
    tiny = torch.full((4,), 1e-30)  # its float32 sum of squares is 0
    huge = torch.full((4,), 1e30)  # its float32 sum of squares is inf
    assert _norm(tiny) == pytest.approx(2e-30, rel=1e-6)
    assert _norm(huge) == pytest.approx(2e30, rel=1e-6)
    assert _norm(torch.zeros(4)) == 0.0
    assert _norm(torch.tensor([1.0, float("inf")])) == float("inf")
