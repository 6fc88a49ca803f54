"""walk: each grad_fn reachable from the roots once, breadth-first, with its children."""

from __future__ import annotations

import torch

from graphs.worker.walk import is_leaf_fn, walk


def _diamond():
    """x -> a = x * 2 -> (sin a, cos a) -> d = sin a + cos a: `a` has two parents."""
    x = torch.tensor([0.5, -1.0], requires_grad=True)
    a = x * 2
    b = a.sin()
    c = a.cos()
    d = b + c
    return x, a, b, c, d


def test_diamond_visits_each_grad_fn_once():
    """The shared node `a` (and the leaf below it) is reached along two paths
    but yielded once: a repeated node would be hooked twice in a pass."""
    x, a, b, c, d = _diamond()
    visited = [fn for fn, _ in walk([d.grad_fn])]
    assert len(visited) == len(set(visited)) == 5
    assert visited.count(a.grad_fn) == 1
    assert set(visited) == {d.grad_fn, b.grad_fn, c.grad_fn, a.grad_fn, a.grad_fn.next_functions[0][0]}


def test_breadth_first_from_the_output_with_children_in_edge_order():
    x, a, b, c, d = _diamond()
    steps = list(walk([d.grad_fn]))
    names = [type(fn).__name__ for fn, _ in steps]
    assert names == ["AddBackward0", "SinBackward0", "CosBackward0", "MulBackward0", "AccumulateGrad"]
    children = dict(steps)
    assert children[d.grad_fn] == [b.grad_fn, c.grad_fn]
    assert children[b.grad_fn] == [a.grad_fn]
    assert children[c.grad_fn] == [a.grad_fn]
    leaf = children[a.grad_fn][0]
    assert is_leaf_fn(leaf) and leaf.variable is x
    assert children[leaf] == []


def test_children_skip_none_and_keep_repeated_edges():
    """`y * y` has two edges to the same node (two edges drawn), and `x * c`
    with a constant `c` has a None in `next_functions` (no edge at all)."""
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * torch.tensor([3.0, 4.0])
    z = y * y
    steps = dict(walk([z.grad_fn]))
    assert steps[z.grad_fn] == [y.grad_fn, y.grad_fn]
    assert y.grad_fn.next_functions[1] == (None, 0)
    assert len(steps[y.grad_fn]) == 1 and is_leaf_fn(steps[y.grad_fn][0])
    assert len(steps) == 3


def test_roots_deduplicated_and_none_dropped():
    x, a, b, c, d = _diamond()
    steps = list(walk([None, b.grad_fn, b.grad_fn, c.grad_fn]))
    fns = [fn for fn, _ in steps]
    assert fns[:2] == [b.grad_fn, c.grad_fn]
    assert len(fns) == len(set(fns)) == 4


def test_root_reached_again_from_another_root_is_not_repeated():
    x, a, b, c, d = _diamond()
    fns = [fn for fn, _ in walk([d.grad_fn, a.grad_fn])]
    assert fns.count(a.grad_fn) == 1
    assert len(fns) == 5


def test_deep_chain_does_not_hit_the_recursion_limit():
    """An unrolled RNN has thousands of nodes: the walk must be iterative."""
    x = torch.ones(1, requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0
    fns = [fn for fn, _ in walk([y.grad_fn])]
    assert len(fns) == 3001
    assert is_leaf_fn(fns[-1]) and fns[-1].variable is x


def test_is_leaf_fn_only_for_accumulate_grad():
    x = torch.ones(2, requires_grad=True)
    y = x.exp()
    assert not is_leaf_fn(y.grad_fn)
    assert is_leaf_fn(y.grad_fn.next_functions[0][0])
    assert not is_leaf_fn(None)
