"""tensordata: what a tensor becomes in the record (nested lists, summaries)
and how forward values are kept while the program runs (Kept, snapshot)."""

from __future__ import annotations

import pytest
import torch

from graphs.record.model import Summary
from graphs.worker.tensordata import (
    CLONE_LIMIT,
    LIST_LIMIT,
    SUMMARY_FROM,
    Kept,
    dtype_name,
    nested,
    snapshot,
    summary,
)


def test_summary_is_min_mean_max():
    torch.manual_seed(0)
    t = torch.randn(5, 7)
    s = summary(t)
    assert isinstance(s, Summary)
    assert s.min == pytest.approx(t.min().item())
    assert s.max == pytest.approx(t.max().item())
    assert s.mean == pytest.approx(t.mean().item(), abs=1e-6)


def test_summary_exact_numbers():
    t = torch.arange(20, dtype=torch.float32) - 5  # -5 .. 14
    assert summary(t) == Summary(min=-5.0, mean=4.5, max=14.0)


def test_summary_only_above_summary_from():
    """Small tensors are shown in full, so a summary would only repeat them."""
    assert summary(torch.ones(SUMMARY_FROM)) is None
    assert summary(torch.ones(SUMMARY_FROM + 1)) == Summary(min=1.0, mean=1.0, max=1.0)
    assert summary(None) is None


def test_summary_of_integers_and_booleans_has_a_fractional_mean():
    """`mean` is not defined for integer tensors in torch: they are read as doubles."""
    ints = torch.arange(1, 19)  # int64, 18 elements, mean 9.5
    assert summary(ints) == Summary(min=1.0, mean=9.5, max=18.0)
    flags = torch.tensor([True] * 5 + [False] * 15)
    assert summary(flags) == Summary(min=0.0, mean=0.25, max=1.0)


def test_summary_of_a_tensor_that_requires_grad():
    x = torch.linspace(-1.0, 3.0, 17, requires_grad=True)
    s = summary(x * 2)
    assert (s.min, s.max) == (-2.0, 6.0)
    assert s.mean == pytest.approx(2.0)


def test_nested_lists_numbers_in_shape():
    t = torch.tensor([[1.5, -2.0], [0.25, 4.0]], requires_grad=True)
    assert nested(t * 2) == [[3.0, -4.0], [0.5, 8.0]]
    assert nested(torch.tensor(3.5)) == 3.5
    assert nested(torch.tensor([[[7]]])) == [[[7]]]
    assert nested(None) is None


def test_nested_only_up_to_list_limit():
    assert nested(torch.zeros(LIST_LIMIT)) == [0.0] * LIST_LIMIT
    assert nested(torch.zeros(LIST_LIMIT + 1)) is None


def test_kept_small_value_is_a_copy_unchanged_by_in_place_ops():
    t = torch.tensor([1.0, 2.0, 3.0])
    kept = Kept(t)
    t.mul_(10)
    assert kept.get().tolist() == [1.0, 2.0, 3.0]
    assert kept.version is None


def test_kept_large_value_is_held_and_dropped_once_overwritten():
    """Above CLONE_LIMIT the tensor itself is held with its version counter:
    an in-place op since makes the kept value unknown (None), never wrong."""
    t = torch.arange(CLONE_LIMIT + 1, dtype=torch.float32)
    kept = Kept(t)
    assert kept.tensor is t
    assert torch.equal(kept.get(), torch.arange(CLONE_LIMIT + 1, dtype=torch.float32))
    t.add_(1)
    assert kept.get() is None


def test_kept_value_is_detached():
    x = torch.ones(CLONE_LIMIT + 1, requires_grad=True)
    y = x * 2
    for value in (Kept(y).get(), Kept(y[:3]).get()):
        assert not value.requires_grad and value.grad_fn is None
    assert Kept(y[:3]).get().tolist() == [2.0, 2.0, 2.0]


def test_snapshot_is_detached_and_independent():
    x = torch.tensor([1.0, -1.0], requires_grad=True)
    y = x * 3
    copy = snapshot(y)
    assert not copy.requires_grad
    with torch.no_grad():
        y.zero_()
    assert copy.tolist() == [3.0, -3.0]
    assert copy.data_ptr() != y.data_ptr()


def test_dtype_name_without_the_torch_prefix():
    assert dtype_name(torch.ones(1)) == "float32"
    assert dtype_name(torch.ones(1, dtype=torch.float64)) == "float64"
    assert dtype_name(torch.arange(3)) == "int64"
    assert dtype_name(torch.ones(1, dtype=torch.bool)) == "bool"
