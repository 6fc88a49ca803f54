"""Warnings torch raises while a program runs reach the user, with their line."""

import pytest

from graphs.api import run_in_process, run_source
from graphs.catalogue import TEACHING
from graphs.record.model import GraphRecord

BROADCAST = """import torch
import torch.nn.functional as F
x = torch.ones(2, 2, requires_grad=True)
for i in range(3):
    loss = F.mse_loss(x * 2, torch.ones(2))
loss.backward()
"""


def test_broadcast_warning_comes_back_from_the_worker_once_with_its_line():
    record = run_source(BROADCAST)
    assert len(record.warnings) == 1  # three iterations, one message
    (warning,) = record.warnings
    assert warning.startswith("line 5: Using a target size (torch.Size([2]))")
    assert "Triggered internally" not in warning
    assert GraphRecord.from_dict(record.to_dict()).warnings == record.warnings


def test_reading_a_non_leaf_grad_warns_with_the_reading_line():
    source = (
        "import torch\nx = torch.ones(2, requires_grad=True)\ny = x * 3\ny.sum().backward()\nprint(y.grad)\n"
    )
    (warning,) = run_in_process(source).warnings
    assert warning.startswith("line 5: The .grad attribute of a Tensor that is not a leaf")


@pytest.mark.parametrize("entry", TEACHING, ids=lambda e: e.slug)  # real models: test_real_models.py
def test_catalogue_programs_run_without_warnings(entry):
    assert run_in_process(entry.source).warnings == []
