"""Turning tensors into record data: nested lists when small, a summary always
when large. Kept apart from capture so the rules for "small" live in one place."""

from __future__ import annotations

import torch

from graphs.record.model import Summary

# Forward values up to this many elements are copied when the op runs (cheap,
# and the teaching programs are all this small); larger ones are kept by
# reference with their version counter, and dropped if an in-place op later
# overwrote them: copying every activation of a big model would double its
# memory and time.
CLONE_LIMIT = 64
# Values up to this many elements are stored in full in the record (the
# inspector shows them as tables); larger ones only as shape and summary.
LIST_LIMIT = 1024
# A node's `grad_inputs` are kept up to this size: most of them are the
# children's own gradients again, and holding large ones stops the backward
# pass from reusing their memory.
GRAD_INPUT_LIMIT = 256
# Values above this many elements also get min/mean/max for the figure.
SUMMARY_FROM = 16


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


def nested(tensor: torch.Tensor | None):
    """The tensor as a number or nested lists, or None when too large or absent,
    or complex (a record holds real numbers: JSON has no complex ones)."""
    if tensor is None or tensor.numel() > LIST_LIMIT or tensor.is_complex():
        return None
    return tensor.detach().tolist()


def summary(tensor: torch.Tensor | None) -> Summary | None:
    if tensor is None or tensor.numel() <= SUMMARY_FROM or tensor.is_complex():
        return None
    data = tensor.detach()
    if not data.is_floating_point():
        data = data.double()
    low, high = torch.aminmax(data)
    return Summary(min=low.item(), mean=data.mean().item(), max=high.item())
