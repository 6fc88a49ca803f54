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


class SavedTensor(tuple):
    """(dtype, shape) of a saved tensor: what describes it, without its data.
    A plain tuple subclass: made for every saved tensor of every kept pass,
    and a NamedTuple's constructor is a Python call."""

    __slots__ = ()


def _lighten(value):
    """A saved tensor as its SavedTensor (also inside a tuple); other values as they are."""
    if isinstance(value, torch.Tensor):
        return SavedTensor((value.dtype, value.shape))
    if isinstance(value, tuple) and any(isinstance(v, torch.Tensor) for v in value):
        return tuple(_lighten(v) for v in value)
    return value


def _describe(value) -> str:
    if isinstance(value, SavedTensor):
        dtype, shape = value
        return f"{str(dtype).removeprefix('torch.')}{list(shape)}"
    if isinstance(value, tuple) and any(isinstance(v, SavedTensor) for v in value):
        return "(" + ", ".join(_describe(v) for v in value) + ")"
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


FREED = "(freed)"


def saved_values(fn) -> dict[str, object]:
    """Name -> the saved value, a tensor as its SavedTensor (FREED when a pass
    without retain_graph freed it). A pass reads them before it runs, since it
    frees them. Holding the tensors themselves kept every saved activation
    alive through the backward, whose gradients then could not reuse that
    memory (0.5-0.8 ms of the transformer's 6 ms backward); dtype and shape
    are all a description needs. Formatting waits until a record is built:
    most passes of a long loop never are."""
    values: dict[str, object] = {}
    for attr, name in _saved_names(fn):
        try:
            values[name] = _lighten(getattr(fn, attr))
        except RuntimeError:  # freed by an earlier pass without retain_graph
            values[name] = FREED
    return values


def describe(values: dict[str, object]) -> dict[str, str]:
    """Name -> short description; tensors as dtype and shape, never contents."""
    return {name: FREED if value is FREED else _describe(value) for name, value in values.items()}


def saved_attrs(fn) -> dict[str, str]:
    return describe(saved_values(fn))
