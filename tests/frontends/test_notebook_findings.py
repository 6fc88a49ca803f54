"""The diagnosis in the notebook: `explore()`'s record holds the findings and its figure marks them."""

from __future__ import annotations

import torch

from graphs.catalogue import get
from graphs.notebook import explore


def test_a_module_explored_in_the_kernel_is_diagnosed():
    torch.manual_seed(0)
    layer = torch.nn.Linear(4, 6)
    torch.nn.init.constant_(layer.bias, -30.0)
    view = explore(torch.nn.Sequential(layer, torch.nn.ReLU(), torch.nn.Linear(6, 1)), torch.randn(12, 4))
    (found,) = view.record.findings
    assert (found.kind, found.op, found.units, found.dead, found.batch) == (
        "dead_relu",
        "ReluBackward0",
        6,
        6,
        12,
    )
    assert "dead ReLU: 6 of 6 units get no gradient" in view.svg()


def test_a_program_explored_through_the_worker_is_diagnosed():
    view = explore(get("nan_sqrt").source, show_values=False)
    assert [(f.kind, f.line, f.op) for f in view.record.findings] == [("inf", 5, "SqrtBackward0")]
    assert "Inf first appears here (backward)" in view.svg()
