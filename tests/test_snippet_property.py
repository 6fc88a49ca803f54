"""Random arithmetic over tensors: the interpreter's values and gradients are
torch's own, operator by operator."""
from __future__ import annotations

import operator

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.snippet import SnippetError, interpret, parse

OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}
FUNCS = {"torch.sigmoid": torch.sigmoid, "torch.tanh": torch.tanh, "torch.exp": torch.exp}

leaves = st.sampled_from(["a", "b", "2.0", "0.5"])


def trees(depth: int):
    if depth == 0:
        return leaves
    sub = trees(depth - 1)
    return st.one_of(
        leaves,
        st.tuples(st.sampled_from(sorted(OPS)), sub, sub),
        st.tuples(st.sampled_from(sorted(FUNCS)), sub),
    )


def source(tree) -> str:
    if isinstance(tree, str):
        return tree
    if len(tree) == 2:
        return f"{tree[0]}({source(tree[1])})"
    return f"({source(tree[1])} {tree[0]} {source(tree[2])})"


def value(tree, env):
    if isinstance(tree, str):
        return env[tree] if tree in env else float(tree)
    if len(tree) == 2:
        return FUNCS[tree[0]](value(tree[1], env))
    return OPS[tree[0]](value(tree[1], env), value(tree[2], env))


def plain_torch(tree):
    """The same computation written directly; returns (y, a, b) or the error."""
    a = torch.tensor([0.3, -1.2], requires_grad=True)
    b = torch.tensor([1.5, 0.7], requires_grad=True)
    y = value(tree, {"a": a, "b": b})
    (y * torch.ones(2)).sum().backward()
    return y, a, b


def same_with_nans(mine: torch.Tensor, theirs: torch.Tensor) -> bool:
    """Bit-for-bit equal, where NaN (e.g. log of a negative) matches NaN."""
    return mine.shape == theirs.shape and torch.allclose(mine, theirs, rtol=0, atol=0, equal_nan=True)


@settings(max_examples=80, deadline=None)
@given(trees(3))
def test_values_gradients_and_failures_match_torch(tree):
    program = ("a = torch.tensor([0.3, -1.2], requires_grad=True)\n"
               "b = torch.tensor([1.5, 0.7], requires_grad=True)\n"
               f"y = {source(tree)}\nz = (y * torch.ones(2)).sum()\nz.backward()")
    try:
        y, a, b = plain_torch(tree)
    except (TypeError, RuntimeError):
        with pytest.raises(SnippetError):
            interpret(parse(program))
        return
    ns = interpret(parse(program)).namespace
    assert same_with_nans(ns["y"], y)
    for name, leaf in (("a", a), ("b", b)):
        mine = ns[name].grad
        assert (mine is None and leaf.grad is None) or same_with_nans(mine, leaf.grad)
