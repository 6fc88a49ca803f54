"""The gradient check: autograd against float64 central differences.

It must pass on every catalogue program (their gradients are right), fail on
a custom `autograd.Function` whose backward is wrong, and tell a failing
program apart (exit 2) from a disagreeing gradient (exit 1).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from graphs.catalogue import TEACHING, get
from graphs.errors import ProgramError
from graphs.worker.check import check_in_process

ROOT = Path(__file__).resolve().parents[2]
WRONG_BACKWARD = """\
import torch

class Cube(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x          # wrong: d/dx x^3 is 3 x^2

w = torch.tensor([1.0, 2.0, -0.5], requires_grad=True)
b = torch.tensor(0.5, requires_grad=True)
loss = (Cube.apply(w) + b).sum()
loss.backward()
"""
TRAINING = """\
import torch
torch.manual_seed(1)
w = torch.randn(3, requires_grad=True)
x = torch.randn(8, 3)
opt = torch.optim.SGD([w], lr=0.1)
for step in range(4):
    opt.zero_grad()
    loss = ((x @ w - 1.0) ** 2).mean()
    loss.backward()
    opt.step()
"""


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "graphs", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


# The seed lessons: a real model has millions of entries, far more than finite differences can nudge.
@pytest.mark.parametrize("entry", TEACHING, ids=[e.slug for e in TEACHING])
def test_every_catalogue_program_passes(entry):
    result = check_in_process(entry.source)
    assert result["agrees"], [leaf for leaf in result["leaves"] if not leaf["agrees"]]
    assert result["leaves"] and all(leaf["entries"] for leaf in result["leaves"])
    assert result["pass_index"] == result["pass_count"] - 1  # the last pass by default


def test_a_wrong_custom_backward_is_caught_and_the_right_leaf_still_agrees():
    result = check_in_process(WRONG_BACKWARD)
    by_name = {leaf["name"]: leaf for leaf in result["leaves"]}
    assert not result["agrees"] and not by_name["w"]["agrees"] and by_name["b"]["agrees"]
    assert by_name["w"]["autograd"] == pytest.approx([3.0, 6.0, -1.5])  # what the bug computes
    assert by_name["w"]["numeric"] == pytest.approx([3.0, 12.0, 0.75], rel=1e-6)  # 3 x^2


def test_each_pass_of_a_training_loop_is_checked_where_its_forward_used_the_parameters():
    for index in (0, 3):
        result = check_in_process(TRAINING, index)
        assert result["agrees"] and result["pass_index"] == index and result["pass_count"] == 4


CONV_BN = """\
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
conv, norm, head = nn.Conv2d(2, 3, 3, padding=1, bias=False), nn.BatchNorm2d(3), nn.Linear(3, 2)
x = torch.randn(1, 2, 5, 5)
loss = F.cross_entropy(head(F.relu(norm(conv(x))).mean((2, 3))), torch.tensor([1]))
loss.backward()
"""


def test_parameters_are_nudged_where_the_forward_uses_them_not_where_init_fills_them():
    # Conv2d asks is_contiguous() of its weight and BatchNorm fills its weight with
    # fill_ while being built; F.batch_norm takes weight= and bias= as keywords.
    result = check_in_process(CONV_BN)
    assert result["agrees"] and result["leaves_unchecked"] == 0
    assert {leaf["name"] for leaf in result["leaves"]} == {
        "conv.weight",
        "norm.weight",
        "norm.bias",
        "head.weight",
        "head.bias",
    }
    assert all(abs(n) > 1e-4 for leaf in result["leaves"] for n in leaf["numeric"][:1])  # nudges took effect


def test_a_program_too_slow_to_nudge_every_leaf_checks_some_and_says_how_many_it_left(monkeypatch):
    monkeypatch.setattr("graphs.worker.check.BUDGET_S", 0.0)  # as if one run took longer than the budget
    result = check_in_process(CONV_BN)
    assert len(result["leaves"]) == 1 and len(result["leaves"][0]["entries"]) == 1
    assert result["leaves_unchecked"] == 4 and result["agrees"]


SLOWER_EACH_RUN = """\
import time
from pathlib import Path
runs = Path({counter!r})
runs.write_text(str(int(runs.read_text() or 0) + 1))
if int(runs.read_text()) > 2:  # the check's own first two runs are quick, every nudged one slow
    time.sleep(1.0)
import torch
a, b, c = (torch.tensor(float(k), requires_grad=True) for k in range(1, 4))
(a * b * c).backward()
"""


def test_the_check_stops_nudging_when_its_time_is_up(monkeypatch, tmp_path):
    """The budget is kept while nudging, not only estimated from the first runs:
    retries at kinks (or a program that slows down) cannot run past the worker's limit."""
    counter = tmp_path / "runs"
    counter.write_text("")
    # The quick runs (under 0.3 s even cold) promise time for every leaf; one
    # leaf's two nudged runs then take over 2 s, and the rest are left out.
    monkeypatch.setattr("graphs.worker.check.BUDGET_S", 2.0)
    result = check_in_process(SLOWER_EACH_RUN.format(counter=str(counter)))
    assert len(result["leaves"]) == 1 and result["leaves_unchecked"] == 2 and result["agrees"]
    assert int(counter.read_text()) == 4  # the two quick runs, one leaf's two nudges, nothing more


KINK = """\
import torch
x = torch.tensor([{near}, 2.0], requires_grad=True)
torch.relu(x).sum().backward()
"""


def test_a_nudge_across_a_kink_is_measured_again_with_a_smaller_step():
    # relu at 1e-7: ±1e-6 crosses the kink (0.55 instead of 1); ±1e-8 does not
    result = check_in_process(KINK.format(near="1e-7"))
    assert result["kinked"] and result["agrees"]
    assert result["leaves"][0]["numeric"] == pytest.approx([1.0, 1.0])


def test_on_a_kink_the_check_says_so_instead_of_blaming_the_backward():
    result = check_in_process(KINK.format(near="0.0"))  # relu'(0): 0 to torch, 0.5 to any central difference
    assert result["kinked"] and not result["agrees"]
    assert result["leaves"][0]["numeric"][0] == pytest.approx(0.5)
    assert not check_in_process(WRONG_BACKWARD)["kinked"]  # no kink there: a wrong backward is named


def test_every_pass_of_the_jacobian_rows_is_its_own_row():
    rows = [check_in_process(get("jacobian_rows").source, i)["leaves"][0]["autograd"] for i in range(3)]
    assert sum(rows, []) == pytest.approx([2.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 27.0])


def test_a_program_without_a_pass_or_past_its_passes_is_one_error():
    with pytest.raises(ProgramError, match="no backward pass"):
        check_in_process("import torch\nx = torch.ones(2, requires_grad=True)\ny = x * 2\n")
    with pytest.raises(ProgramError, match="pass 5 does not exist"):
        check_in_process(get("add_one").source, 5)


def test_cli_exit_status_says_agree_disagree_or_failed(tmp_path):
    good = cli("check", "sigmoid_layer")
    assert good.returncode == 0, good.stderr
    assert "✓" in good.stdout and "✗" not in good.stdout and "every leaf agrees" in good.stdout
    wrong = tmp_path / "wrong.py"
    wrong.write_text(WRONG_BACKWARD)
    bad = cli("check", str(wrong))
    assert bad.returncode == 1 and "✗" in bad.stdout
    data = json.loads(cli("check", str(wrong), "--json").stdout)
    assert data["agrees"] is False and {"name", "autograd", "numeric", "rel_error"} <= set(data["leaves"][0])
    twice = (
        "import torch\nx = torch.ones(2, requires_grad=True)\ny = (x * x).sum()\ny.backward()\ny.backward()\n"
    )
    failed = cli("check", "-", stdin=twice)
    assert failed.returncode == 2 and "Traceback" not in failed.stderr
    assert failed.stderr.startswith("error: line 5: RuntimeError: Trying to backward through the graph")
    chosen = json.loads(cli("check", "jacobian_rows", "--pass", "1", "--json").stdout)
    assert chosen["pass_index"] == 1 and chosen["leaves"][0]["autograd"] == pytest.approx([0.0, 1.0, 1.0])


CHECKED = """\
import torch
w = torch.tensor([1.0, 2.0], requires_grad=True)
y = (w * w).sum()
y.backward()
"""


def test_the_checks_own_failure_is_the_explorers_never_the_programs_line(monkeypatch):
    """A failure inside the check's float64 mode (ours) names itself, never as the line's error."""
    from graphs.errors import ExplorerError
    from graphs.worker import check

    def broken(*_args, **_kwargs):
        raise IndexError("pop index out of range")

    monkeypatch.setattr(check._Float64, "_touch", broken)
    with pytest.raises(ExplorerError) as caught:
        check_in_process(CHECKED)
    assert caught.value.line is None
    assert str(caught.value) == (
        "Autograd Explorer failed while recording line 2 "
        "(IndexError in check.py: pop index out of range); the program itself may be fine"
    )


def test_torchs_error_through_the_checks_mode_stays_the_programs():
    with pytest.raises(ProgramError) as caught:
        check_in_process(
            "import torch\nw = torch.ones(2, requires_grad=True)\n(w @ torch.ones(3)).backward()\n"
        )
    assert caught.value.line == 3 and "RuntimeError" in str(caught.value)
    assert "Autograd Explorer failed" not in str(caught.value)
