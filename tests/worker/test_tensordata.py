"""tensordata: what a tensor becomes in the record (`Numbers`: nested lists,
or a summary when too large to list) and how forward values are kept while
the program runs (Kept, snapshot)."""

from __future__ import annotations

import pytest
import torch

from graphs.record.model import Summary
from graphs.worker.tensordata import (
    CLONE_LIMIT,
    LIST_LIMIT,
    Kept,
    dtype_name,
    nested,
    numbers,
    snapshot,
)


def large(tensor: torch.Tensor) -> torch.Tensor:
    """`tensor` repeated past LIST_LIMIT: same min, max and mean."""
    return tensor.repeat(LIST_LIMIT // tensor.numel() + 1)


def test_a_large_tensor_is_its_min_mean_max():
    torch.manual_seed(0)
    t = torch.randn(LIST_LIMIT + 3)
    s = numbers(t)
    assert isinstance(s, Summary)
    assert s.min == pytest.approx(t.min().item())
    assert s.max == pytest.approx(t.max().item())
    assert s.mean == pytest.approx(t.mean().item(), abs=1e-6)


def test_summary_exact_numbers():
    t = large(torch.arange(20, dtype=torch.float32) - 5)  # -5 .. 14
    assert numbers(t) == Summary(min=-5.0, mean=4.5, max=14.0)


def test_listed_up_to_list_limit_then_summarised():
    """Up to LIST_LIMIT entries the record lists them (the inspector's tables,
    the chain rule's products); a summary would only repeat them."""
    assert numbers(torch.zeros(LIST_LIMIT)) == [0.0] * LIST_LIMIT
    assert numbers(torch.ones(LIST_LIMIT + 1)) == Summary(min=1.0, mean=1.0, max=1.0)
    assert numbers(None) is None
    assert nested(torch.zeros(LIST_LIMIT + 1)) is None  # listed only, for a seed or what an op sent


def test_summary_of_integers_and_booleans_has_a_fractional_mean():
    """`mean` is not defined for integer tensors in torch: they are read as doubles."""
    assert numbers(large(torch.arange(1, 19))) == Summary(min=1.0, mean=9.5, max=18.0)
    flags = large(torch.tensor([True] * 5 + [False] * 15))
    assert numbers(flags) == Summary(min=0.0, mean=0.25, max=1.0)


def test_summary_of_a_tensor_that_requires_grad():
    x = torch.linspace(-1.0, 3.0, LIST_LIMIT + 1, requires_grad=True)
    s = numbers(x * 2)
    assert (s.min, s.max) == (-2.0, 6.0)
    assert s.mean == pytest.approx(2.0)


def test_complex_tensors_have_no_numbers():
    """JSON has no complex numbers: a complex tensor is unknown, never a crash."""
    assert numbers(torch.ones(3, dtype=torch.complex64)) is None
    assert numbers(torch.ones(LIST_LIMIT + 1, dtype=torch.complex64)) is None


def test_nested_lists_numbers_in_shape():
    t = torch.tensor([[1.5, -2.0], [0.25, 4.0]], requires_grad=True)
    assert numbers(t * 2) == [[3.0, -4.0], [0.5, 8.0]]
    assert numbers(torch.tensor(3.5)) == 3.5
    assert numbers(torch.tensor([[[7]]])) == [[[7]]]


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
