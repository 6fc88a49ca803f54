"""Predict how many elements an operation's result will have, before it runs.

Only operations whose result can be much larger than their inputs need a
prediction (factories, broadcasting, matrix products, expand/repeat, cat,
indexing with tensors); the default for everything else is the broadcast of
its tensor arguments, an upper bound for element-wise ops and reductions.
Pure Python arithmetic on shapes: no torch call, so nothing is allocated and
the capture Recorder never sees a phantom operation.  `None` means "cannot
tell"; torch then reports the real error and the result is checked afterwards.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch

Shape = tuple[int, ...]


def _as_int(value: object) -> int | None:
    """A whole number as torch would read it: an int, or a one-element integer tensor."""
    if isinstance(value, torch.Tensor) and value.numel() == 1 \
            and not value.dtype.is_floating_point and not value.dtype.is_complex:
        value = value.item()
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _dims(args: Sequence[object]) -> Shape | None:
    """Sizes given as whole numbers or as one tuple/list/Size, as factories accept them."""
    if len(args) == 1 and isinstance(args[0], (tuple, list, torch.Size)):
        args = args[0]
    dims = tuple(_as_int(a) for a in args)
    return None if None in dims else dims


def known(fn: Callable[[Sequence[object], dict], int | None]) -> Callable[[Sequence[object], dict], int]:
    """For operations that allocate from their size arguments: a size that cannot
    be worked out beforehand is refused rather than tried."""
    def checked(args: Sequence[object], kwargs: dict) -> int:
        count = fn(args, kwargs)
        if count is None:
            raise ValueError("the size of this tensor could not be worked out before making it; "
                             "give its sizes as plain numbers")
        return count
    return checked


def _numel(shape: Sequence[int] | None) -> int | None:
    return None if shape is None else math.prod(max(d, 0) for d in shape)


def broadcast(*shapes: Shape) -> Shape | None:
    """Broadcast shapes by torch's rules, or None when they do not fit."""
    ndim = max((len(s) for s in shapes), default=0)
    out = []
    for i in range(1, ndim + 1):
        sizes = {s[-i] for s in shapes if len(s) >= i} - {1}
        if len(sizes) > 1:
            return None
        out.append(sizes.pop() if sizes else 1)
    return tuple(reversed(out))


def default(args: Sequence[object], kwargs: dict) -> int | None:
    shapes = [tuple(a.shape) for a in (*args, *kwargs.values()) if isinstance(a, torch.Tensor)]
    return _numel(broadcast(*shapes)) if shapes else None


def factory(args: Sequence[object], kwargs: dict) -> int | None:
    return _numel(_dims(args))


def full(args: Sequence[object], kwargs: dict) -> int | None:
    return _numel(_dims(args[:1])) if args else None


def like(args: Sequence[object], kwargs: dict) -> int | None:
    return args[0].numel() if args and isinstance(args[0], torch.Tensor) else None


def _number(value: object) -> float | None:
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.dtype.is_complex:
        value = value.item()
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def arange(args: Sequence[object], kwargs: dict) -> int | None:
    numbers = [_number(a) for a in args]
    if not 1 <= len(numbers) <= 3 or None in numbers:
        return None
    if len(numbers) == 1:
        start, end, step = 0.0, numbers[0], 1.0
    else:
        start, end, step = (numbers + [1.0])[:3]
    if step == 0 or not all(map(math.isfinite, (start, end, step))):
        return None
    return max(0, math.ceil((end - start) / step))


def linspace(args: Sequence[object], kwargs: dict) -> int | None:
    return _as_int(args[2] if len(args) > 2 else kwargs.get("steps"))


def eye(args: Sequence[object], kwargs: dict) -> int | None:
    dims = _dims(args[:2])
    if not dims:
        return None
    return _numel(dims if len(dims) == 2 else dims * 2)


def matmul_shape(a: Shape, b: Shape) -> Shape | None:
    if not a or not b:
        return None
    a2 = (1, *a) if len(a) == 1 else a
    b2 = (*b, 1) if len(b) == 1 else b
    batch = broadcast(a2[:-2], b2[:-2])
    if batch is None:
        return None
    out = (*batch, a2[-2], b2[-1])
    if len(a) == 1:
        out = out[:-2] + out[-1:]
    if len(b) == 1:
        out = out[:-1]
    return out


def matmul(args: Sequence[object], kwargs: dict) -> int | None:
    if len(args) >= 2 and all(isinstance(a, torch.Tensor) for a in args[:2]):
        return _numel(matmul_shape(tuple(args[0].shape), tuple(args[1].shape)))
    return None


def linear(args: Sequence[object], kwargs: dict) -> int | None:
    """F.linear(x, weight): x's leading dims times weight's output features."""
    if len(args) >= 2 and all(isinstance(a, torch.Tensor) for a in args[:2]) and args[1].dim() >= 1:
        return _numel((*args[0].shape[:-1], args[1].shape[0]))
    return None


def expand(args: Sequence[object], kwargs: dict) -> int | None:
    dims = _dims(args[1:])
    if dims is None:
        return None
    own = (1,) * (len(dims) - args[0].dim()) + tuple(args[0].shape)
    if len(own) != len(dims):
        return None
    return _numel([o if d == -1 else d for o, d in zip(own, dims)])


def repeat(args: Sequence[object], kwargs: dict) -> int | None:
    dims = _dims(args[1:])
    return None if dims is None else _numel(dims) * args[0].numel()


def concat(args: Sequence[object], kwargs: dict) -> int | None:
    if args and isinstance(args[0], (list, tuple)):
        return sum(t.numel() for t in args[0] if isinstance(t, torch.Tensor))
    return None


def _index_count(item: object) -> int:
    """How many positions an index list or tensor selects, at most (a list of
    tensors is read by torch as several broadcast indices, hence the product)."""
    if isinstance(item, torch.Tensor):
        return item.numel()
    if isinstance(item, (list, tuple)):
        counts = [_index_count(element) for element in item]
        if any(isinstance(element, torch.Tensor) for element in item):
            return math.prod(counts)
        return len(item) * max(counts, default=1)
    return 1


def index(tensor: torch.Tensor, key: object) -> int:
    """An upper bound on the size of `tensor[key]`.

    Plain ints, slices and None never enlarge a tensor; an index tensor or list
    replaces the dimension it indexes by its own elements.
    """
    keys = key if isinstance(key, tuple) else (key,)
    bound = tensor.numel()
    dim = 0
    for item in keys:
        if isinstance(item, (torch.Tensor, list)):
            count = _index_count(item)
            indexed = tensor.shape[dim] if dim < tensor.dim() else 1
            if isinstance(item, torch.Tensor) and item.dtype == torch.bool:
                count, indexed = 1, 1
            bound = bound * count // max(indexed, 1)
        if item is not None and item is not Ellipsis:
            dim += 1
    return bound
