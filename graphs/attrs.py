"""Saved attributes of a grad_fn, shown as torchviz's `show_attrs` shows them."""

from __future__ import annotations

import torch

_PREFIX = "_saved_"
_names_by_type: dict[type, tuple[tuple[str, str], ...]] = {}


def _saved_names(fn) -> tuple[tuple[str, str], ...]:
    """(attribute, name without the prefix) of each saved value. They are fixed
    per node class, and read on every node of every kept pass: found once per class."""
    kind = type(fn)
    names = _names_by_type.get(kind)
    if names is None:
        names = _names_by_type[kind] = tuple(
            (attr, attr.removeprefix(_PREFIX)) for attr in dir(fn) if attr.startswith(_PREFIX)
        )
    return names


def _describe(value) -> str:
    if isinstance(value, torch.Tensor):
        return f"{str(value.dtype).removeprefix('torch.')}{list(value.shape)}"
    if isinstance(value, tuple) and any(isinstance(v, torch.Tensor) for v in value):
        return "(" + ", ".join(_describe(v) for v in value) + ")"
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


FREED = "(freed)"


def saved_values(fn) -> dict[str, object]:
    """Name -> the saved value itself (FREED when a pass without retain_graph
    freed it). Reading is all a backward pass must wait for; describing the
    values can wait until a record is built, and most passes of a long loop
    are never built."""
    values: dict[str, object] = {}
    for attr, name in _saved_names(fn):
        try:
            values[name] = getattr(fn, attr)
        except RuntimeError:  # freed by an earlier pass without retain_graph
            values[name] = FREED
    return values


def describe(values: dict[str, object]) -> dict[str, str]:
    """Name -> short description; tensors as dtype and shape, never contents."""
    return {name: FREED if value is FREED else _describe(value) for name, value in values.items()}


def saved_attrs(fn) -> dict[str, str]:
    return describe(saved_values(fn))
