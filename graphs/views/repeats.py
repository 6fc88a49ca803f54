"""Repeated module calls: which sibling calls fold into one ×N box (a *run*).

Consecutive sibling calls are a run when they are calls of one class that
made the same ops in the same nesting (a transformer's layers, an RNN cell's
steps, identical residual blocks) and when each feeds the next (an edge
between their contents): two unrelated calls of one class stay apart.
Iterations of one loop of the program (graphs.record.loops) need neither:
the program's text already says they repeat, though a training loop's epochs
each build a graph of their own, a growing sequence changes the shapes from
one iteration to the next, and an `if` in the body may run now and then; so
a loop's consecutive iterations are one run, and a click opens any of them.
"""

from __future__ import annotations

import itertools
from typing import Protocol

from graphs.record.loops import is_loop
from graphs.record.model import ModuleCall, Node


class CallTree(Protocol):
    """What run detection reads of the module tree (`graphs.views.module_tree.ModuleTree`)."""

    calls: list[ModuleCall]
    children: dict[int | None, list[int]]
    made_in: dict[str, int | None]  # node id -> the call that made it
    kinds: dict[str, str]  # node id -> op, leaf or output
    edges: list[tuple[str, str]]

    def chain(self, index: int | None) -> list[int]: ...


def find_runs(tree: CallTree, by_id: dict[str, Node]) -> dict[int, tuple[int, ...]]:
    """Each call that belongs to a run -> the run (the calls' indices, in call order)."""
    signature = signatures(tree, by_id)
    linked, same_loop = linked_siblings(tree), _same_loop(tree.calls, tree.children)
    run_of: dict[int, tuple[int, ...]] = {}
    for siblings in tree.children.values():
        for run in _runs_among(siblings, signature, linked, same_loop):
            run_of.update(dict.fromkeys(run, run))
    return run_of


def signatures(tree: CallTree, by_id: dict[str, Node]) -> list[int]:
    """A number per call, equal for calls of one class that made the same ops
    (op names and shapes) in the same nesting: what makes calls repeats."""
    direct: dict[int, list[tuple]] = {}
    for node_id, index in tree.made_in.items():
        if index is not None and tree.kinds[node_id] == "op":
            node = by_id[node_id]
            direct.setdefault(index, []).append((node.op, tuple(node.shape)))
    numbers: dict[tuple, int] = {}
    signature = [0] * len(tree.calls)
    for index in reversed(range(len(tree.calls))):  # children come after their parents
        key = (
            tree.calls[index].kind,
            tuple(sorted(direct.get(index, ()))),
            tuple(sorted(signature[child] for child in tree.children[index])),
        )
        signature[index] = numbers.setdefault(key, len(numbers))
    return signature


def linked_siblings(tree: CallTree) -> set[tuple[int, int]]:
    """Pairs of sibling calls with an edge between their contents."""
    linked = set()
    for src, dst in tree.edges:
        a, b = tree.chain(tree.made_in[src]), tree.chain(tree.made_in[dst])
        if not a or not b:
            continue
        a_set = set(a)
        common = next((i for i in b if i in a_set), None)
        below_a = a[: a.index(common)] if common is not None else a
        below_b = b[: b.index(common)] if common is not None else b
        if below_a and below_b:
            linked.add((below_a[-1], below_b[-1]))
            linked.add((below_b[-1], below_a[-1]))
    return linked


def _same_loop(calls: list[ModuleCall], children: dict[int | None, list[int]]) -> set[tuple[int, int]]:
    """Pairs of consecutive sibling calls that are iterations of one loop."""
    return {
        (a, b)
        for siblings in children.values()
        for a, b in itertools.pairwise(siblings)
        if is_loop(calls[a]) and calls[a].path == calls[b].path
    }


def _runs_among(
    siblings: list[int],
    signature: list[int],
    linked: set[tuple[int, int]],
    same_loop: set[tuple[int, int]],
) -> list[tuple[int, ...]]:
    """The runs of two or more among one parent's calls: iterations of one loop,
    or calls of one signature each linked to the last."""
    runs: list[tuple[int, ...]] = []
    run: list[int] = []
    for index in [*siblings, None]:
        if (
            index is not None
            and run
            and (
                (run[-1], index) in same_loop
                or (signature[index] == signature[run[-1]] and (run[-1], index) in linked)
            )
        ):
            run.append(index)
            continue
        if len(run) > 1:
            runs.append(tuple(run))
        run = [] if index is None else [index]
    return runs
