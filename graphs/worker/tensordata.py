"""Turning tensors into record data (`Numbers`): nested lists when small, a
summary when large. Kept apart from capture so the rules for "small" live in
one place."""

from __future__ import annotations

import torch

from graphs.record.numbers import SUMMARY_FROM, Listed, Numbers, Summary

# Forward values up to this many elements are copied when the op runs (cheap,
# and the teaching programs are all this small); larger ones are kept by
# reference with their version counter, and dropped if an in-place op later
# overwrote them: copying every activation of a big model would double its
# memory and time.
CLONE_LIMIT = 64
# Values up to this many elements are listed in full in the record (the
# inspector shows them as tables); larger ones as their summary.
LIST_LIMIT = 1024
# A node's `grad_inputs` are kept up to this size: most of them are the
# children's own gradients again, and holding large ones stops the backward
# pass from reusing their memory.
GRAD_INPUT_LIMIT = 256


class Kept:
    """A forward value as the op produced it: a copy, or a checked reference."""

    __slots__ = ("tensor", "version")

    def __init__(self, tensor: torch.Tensor):
        small = tensor.numel() <= CLONE_LIMIT
        self.tensor = tensor.detach().clone() if small else tensor
        self.version = None if small else tensor._version

    def get(self) -> torch.Tensor | None:
        """The value, or None when an in-place op has overwritten it since."""
        if self.version is not None and self.tensor._version != self.version:
            return None
        return self.tensor.detach()


def snapshot(tensor: torch.Tensor) -> torch.Tensor:
    """A detached copy of `tensor` that later in-place ops cannot change."""
    return tensor.detach().clone()


def dtype_name(tensor: torch.Tensor) -> str:
    return str(tensor.dtype).removeprefix("torch.")


def numbers(tensor: torch.Tensor | None) -> Numbers:
    """The tensor as a number or nested lists, its summary when too large to
    list, None when absent or complex (a record holds real numbers: JSON has
    no complex ones)."""
    if tensor is None or tensor.is_complex():
        return None
    if tensor.numel() > LIST_LIMIT:
        return _summary(tensor)
    entries = tensor.detach().tolist()
    return Listed(entries) if tensor.numel() > SUMMARY_FROM else entries  # its summary: when read


def nested(tensor: torch.Tensor | None):
    """Listed numbers only (a Jacobian's side, what an op sent), or None."""
    found = numbers(tensor)
    return None if isinstance(found, Summary) else found


def _summary(tensor: torch.Tensor) -> Summary:
    data = tensor.detach()
    if not data.is_floating_point():
        data = data.double()
    low, high = torch.aminmax(data)
    return Summary(min=low.item(), mean=data.mean().item(), max=high.item())
