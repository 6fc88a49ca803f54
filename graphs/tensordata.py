"""Turning tensors into record data: nested lists when small, a summary always
when large. Kept apart from capture so the rules for "small" live in one place."""
from __future__ import annotations

import torch

from graphs.record import Summary

# Values up to this many elements are copied at capture time, so a later
# in-place update cannot change what the figure shows; larger ones are kept by
# reference (copying every activation of a big model would double its memory).
CLONE_LIMIT = 4096
# Values up to this many elements are stored in full in the record (the
# inspector shows them as tables); larger ones only as shape and summary.
LIST_LIMIT = 1024
# Values above this many elements also get min/mean/max for the figure.
SUMMARY_FROM = 16


def snapshot(tensor: torch.Tensor) -> torch.Tensor:
    """A detached copy of `tensor` that later in-place ops cannot change."""
    data = tensor.detach()
    return data.clone() if data.numel() <= CLONE_LIMIT else data


def dtype_name(tensor: torch.Tensor) -> str:
    return str(tensor.dtype).removeprefix("torch.")


def nested(tensor: torch.Tensor | None):
    """The tensor as a number or nested lists, or None when too large or absent."""
    if tensor is None or tensor.numel() > LIST_LIMIT:
        return None
    return tensor.detach().cpu().tolist()


def summary(tensor: torch.Tensor | None) -> Summary | None:
    if tensor is None or tensor.numel() <= SUMMARY_FROM:
        return None
    data = tensor.detach().to(torch.float64)
    return Summary(min=data.min().item(), mean=data.mean().item(), max=data.max().item())
