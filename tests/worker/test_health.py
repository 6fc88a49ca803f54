"""graphs.worker.health: the checks the diagnosis's numbers come from, on real tensors."""

from __future__ import annotations

import torch

from graphs.worker.health import dead_units, finite


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
