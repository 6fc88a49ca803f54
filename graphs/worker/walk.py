"""The one walk over `next_functions` that hooks and record building share."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator

import torch

_ACCUMULATE_GRAD = torch._C._functions.AccumulateGrad


def walk(roots: Iterable[object]) -> Iterator[tuple[object, list[object]]]:
    """Yield each grad_fn reachable from `roots` once, with its children.

    Breadth-first, so nodes are numbered from the output towards the leaves,
    the direction the backward pass travels. Iterative: an unrolled RNN has
    thousands of nodes and would overflow Python's recursion limit.
    """
    seen: set[object] = set()
    queue = deque(dict.fromkeys(fn for fn in roots if fn is not None))
    seen.update(queue)
    # One loop over each node's edges that both lists and queues its children
    # (no comprehension: Python 3.11 makes a frame for each), the queue's methods
    # bound once: every kept pass walks its graph, and this was a third cheaper.
    popleft, enqueue, see = queue.popleft, queue.append, seen.add
    while queue:
        fn = popleft()
        children = []
        for child, _ in fn.next_functions:
            if child is not None:
                children.append(child)
                if child not in seen:
                    see(child)
                    enqueue(child)
        yield fn, children


def is_leaf_fn(fn: object) -> bool:
    """AccumulateGrad nodes stand for leaf tensors (their `.variable`)."""
    return type(fn) is _ACCUMULATE_GRAD
