"""A program captured in this process leaves torch's global switches as it found them."""

import pytest
import torch

from graphs.api import run_in_process
from graphs.errors import ProgramError

FLIPS = (
    "import torch\n"
    "torch.autograd.set_detect_anomaly(True)\n"
    "torch.set_default_dtype(torch.float64)\n"
    "torch.set_printoptions(precision=1)\n"
    "torch.set_num_threads(1)\n"
    "x = torch.tensor([2.0], requires_grad=True)\n"
    "(x * x).sum().backward()\n"
    "torch.set_grad_enabled(False)\n"
)


def _state() -> tuple:
    return (
        torch.is_grad_enabled(),
        torch.is_anomaly_enabled(),
        torch.get_default_dtype(),
        torch.get_num_threads(),
        repr(torch.tensor([1.23456])),
    )


def test_switches_flipped_by_a_program_are_put_back():
    before = _state()
    run_in_process(FLIPS)
    assert _state() == before


def test_switches_are_put_back_when_the_program_fails():
    before = _state()
    with pytest.raises(ProgramError):
        run_in_process(FLIPS + "raise ValueError('late')\n")
    assert _state() == before


def test_the_next_program_sees_its_nan_instead_of_anomaly_mode_raising():
    run_in_process(FLIPS)
    record = run_in_process(
        "import torch\nx = torch.tensor([-1.0], requires_grad=True)\ntorch.sqrt(x).sum().backward()\n"
    )
    assert [(f.kind, f.line) for f in record.findings] == [("nan", 3)]
