"""The allow-lists: every name, function, method, attribute and keyword a
snippet may use, each mapped to the callable that implements it.

The interpreter never looks anything up by a user-chosen name on a live
object; it only indexes these tables.  What is not listed here does not exist
for a snippet, which keeps the language closed on a public server.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from graphs.snippet import sizes

SizeFn = Callable[[tuple, dict], "int | None"]


@dataclass(frozen=True)
class Op:
    """A callable a snippet may invoke, the keywords it accepts, and how to
    predict its result size before running it."""

    call: Callable[..., Any]
    kwargs: frozenset[str] = frozenset()
    size: SizeFn = sizes.default
    walks_graph: bool = False  # a backward pass: its work is the graph behind it


def _op(call: Callable[..., Any], *kwargs: str, size: SizeFn = sizes.default,
        walks_graph: bool = False) -> Op:
    return Op(call, frozenset(kwargs), size, walks_graph)


# Names a program can refer to without defining them, and what each stands for.
NAMESPACES = {"torch": "torch", "nn": "torch.nn", "F": "torch.nn.functional",
              "np": "numpy", "numpy": "numpy"}
NAMESPACE_PATHS = frozenset({"torch", "torch.nn", "torch.nn.functional", "torch.autograd", "numpy"})

# (module, bound name) pairs `import` may mention; every name is predefined anyway.
IMPORTS = frozenset({("torch", "torch"), ("torch.nn", "torch"), ("torch.nn", "nn"),
                     ("torch.nn.functional", "torch"), ("torch.nn.functional", "F"),
                     ("torch.autograd", "torch"), ("numpy", "numpy"), ("numpy", "np")})

DTYPES = {f"torch.{name}": getattr(torch, name) for name in (
    "float", "float32", "float64", "double", "long", "int64", "int", "int32", "bool")}

CREATION = ("dtype", "requires_grad")
REDUCE = ("dim", "keepdim")


def _manual_seed(seed: int) -> None:
    """Seed torch's generator; the Generator object itself stays out of reach."""
    torch.manual_seed(seed)


def _shape(tensor: torch.Tensor) -> torch.Size:
    """numpy.shape, as the seeds use it to print a tensor's shape."""
    if not isinstance(tensor, torch.Tensor):
        raise TypeError("np.shape() takes a tensor")
    return tensor.shape


_SHARED = {  # the same name works as torch.<name>(t, ...) and t.<name>(...)
    "sum": (*REDUCE, "dtype"), "mean": (*REDUCE, "dtype"), "pow": (), "exp": (), "log": (),
    "sigmoid": (), "tanh": (), "relu": (), "softmax": ("dim",), "log_softmax": ("dim",),
    "abs": (), "sqrt": (), "norm": ("p", *REDUCE), "max": REDUCE, "min": REDUCE,
    "reshape": (), "squeeze": ("dim",), "unsqueeze": ("dim",), "flatten": ("start_dim", "end_dim"),
    "add": ("alpha",), "sub": ("alpha",), "mul": (), "div": ("rounding_mode",),
    "clone": (), "t": (), "transpose": (), "sin": (), "cos": (), "square": (), "neg": (),
    "clamp": ("min", "max"), "argmax": REDUCE, "argmin": REDUCE, "prod": (*REDUCE, "dtype"),
    "maximum": (), "minimum": (), "numel": (), "detach": (),
}
_PRODUCTS = ("mm", "matmul", "dot", "mv", "bmm")

FUNCTIONS: dict[str, Op] = {
    **{f"torch.{name}": _op(getattr(torch, name), *kw) for name, kw in _SHARED.items()},
    **{f"torch.{name}": _op(getattr(torch, name), size=sizes.matmul) for name in _PRODUCTS},
    "torch.tensor": _op(torch.tensor, *CREATION),
    **{f"torch.{name}": _op(getattr(torch, name), *CREATION, size=sizes.known(sizes.factory))
       for name in ("ones", "zeros", "randn", "rand")},
    **{f"torch.{name}": _op(getattr(torch, name), *CREATION, size=sizes.like)
       for name in ("ones_like", "zeros_like", "randn_like", "rand_like", "full_like")},
    "torch.full": _op(torch.full, *CREATION, size=sizes.known(sizes.full)),
    "torch.arange": _op(torch.arange, *CREATION, size=sizes.known(sizes.arange)),
    "torch.linspace": _op(torch.linspace, "steps", *CREATION, size=sizes.known(sizes.linspace)),
    "torch.eye": _op(torch.eye, *CREATION, size=sizes.known(sizes.eye)),
    "torch.cat": _op(torch.cat, "dim", size=sizes.concat),
    "torch.stack": _op(torch.stack, "dim", size=sizes.concat),
    "torch.where": _op(torch.where),
    "torch.manual_seed": _op(_manual_seed),
    "torch.autograd.grad": _op(torch.autograd.grad, "grad_outputs", "retain_graph",
                               "create_graph", "allow_unused", walks_graph=True),
    **{f"torch.nn.functional.{name}": _op(getattr(F, name), *kw) for name, kw in {
        "sigmoid": (), "relu": (), "tanh": (), "softmax": ("dim",), "log_softmax": ("dim",),
        "mse_loss": ("reduction",), "l1_loss": ("reduction",), "cross_entropy": ("reduction",),
        "nll_loss": ("reduction",), "binary_cross_entropy": ("weight", "reduction")}.items()},
    "torch.nn.functional.linear": _op(F.linear, "bias", size=sizes.linear),
    "numpy.shape": _op(_shape),
}

# `with` may only open these contexts.
CONTEXTS = {"torch.no_grad": torch.no_grad, "torch.enable_grad": torch.enable_grad}

# nn module classes a snippet may construct (calling the object runs it).
MODULES: dict[str, Op] = {
    "torch.nn.Linear": _op(nn.Linear, "bias", size=sizes.known(sizes.factory)),
    **{f"torch.nn.{name}": _op(getattr(nn, name)) for name in ("Sigmoid", "ReLU", "Tanh")},
    **{f"torch.nn.{name}": _op(getattr(nn, name), "dim") for name in ("Softmax", "LogSoftmax")},
    **{f"torch.nn.{name}": _op(getattr(nn, name), "reduction")
       for name in ("MSELoss", "L1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss")},
}
MODULE_TYPES = tuple(op.call for op in MODULES.values())


def module_size(module: nn.Module, args: tuple) -> int | None:
    """Predicted output size of calling a module object."""
    if isinstance(module, nn.Linear):
        return sizes.linear((*args[:1], module.weight), {})
    return sizes.default(args, {})


def _method(name: str) -> Callable[..., Any]:
    return getattr(torch.Tensor, name)


TENSOR_METHODS: dict[str, Op] = {
    **{name: _op(_method(name), *kw) for name, kw in _SHARED.items()},
    **{name: _op(_method(name), size=sizes.matmul) for name in _PRODUCTS},
    "view": _op(_method("view")),
    "expand": _op(_method("expand"), size=sizes.known(sizes.expand)),
    "repeat": _op(_method("repeat"), size=sizes.known(sizes.repeat)),
    "item": _op(_method("item")),
    "size": _op(_method("size"), "dim"),
    "dim": _op(_method("dim")),
    "float": _op(_method("float")), "double": _op(_method("double")), "long": _op(_method("long")),
    "backward": _op(_method("backward"), "gradient", "retain_graph", "create_graph", walks_graph=True),
    "requires_grad_": _op(_method("requires_grad_"), "requires_grad"),
    "retain_grad": _op(_method("retain_grad")),
    "zero_": _op(_method("zero_")), "fill_": _op(_method("fill_")),
    "add_": _op(_method("add_"), "alpha"), "sub_": _op(_method("sub_"), "alpha"),
    "mul_": _op(_method("mul_")), "div_": _op(_method("div_")),
}

# Attributes a snippet may read, by the kind of object they belong to.
TENSOR_ATTRS: dict[str, Callable[[torch.Tensor], Any]] = {
    "grad": lambda t: t.grad, "grad_fn": lambda t: t.grad_fn, "data": lambda t: t.data,
    "requires_grad": lambda t: t.requires_grad, "is_leaf": lambda t: t.is_leaf,
    "dtype": lambda t: t.dtype, "shape": lambda t: t.shape, "T": lambda t: t.T,
    "ndim": lambda t: t.ndim,
}
LINEAR_ATTRS: dict[str, Callable[[nn.Linear], Any]] = {
    "weight": lambda m: m.weight, "bias": lambda m: m.bias,
}
READABLE = frozenset(TENSOR_ATTRS) | frozenset(LINEAR_ATTRS)


def _set_data(tensor: torch.Tensor, value: Any) -> None:
    tensor.data = value


def _set_grad(tensor: torch.Tensor, value: Any) -> None:
    tensor.grad = value


def _set_requires_grad(tensor: torch.Tensor, value: Any) -> None:
    tensor.requires_grad = value


# Tensor attributes a snippet may assign, e.g. `w.data -= lr * w.grad`.
SETTABLE: dict[str, Callable[[torch.Tensor, Any], None]] = {
    "data": _set_data, "grad": _set_grad, "requires_grad": _set_requires_grad,
}

# Plain functions, by name; `range` is only accepted as a for-loop's iterable.
BUILTINS: dict[str, frozenset[str]] = {
    "print": frozenset({"sep", "end"}), "range": frozenset(), "len": frozenset(),
    "float": frozenset(), "int": frozenset(), "abs": frozenset(), "round": frozenset(),
}

RESERVED = frozenset(NAMESPACES) | frozenset(BUILTINS) | {"True", "False", "None"}
