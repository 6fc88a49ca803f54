"""What one view of a record shows at each node: the one place that picks a pass.

The figure, the tables, the inspector, the command line and the notebook all
ask a `PassView` for a node's gradient, step number and `.grad`, so none of
them can mix passes. A view is one pass (the last by default), or the
explicit "All passes" view, which shows only what does not depend on a
choice of pass: a gradient where a single pass reached the node, and each
leaf's `.grad` as the program left it (`GraphRecord.final_grads`).

A leaf has two numbers that the accumulation lesson tells apart: what this
pass *sent* into it (its contribution) and its `.grad` *after* the pass (the
sum so far, what `print(w.grad)` shows).
"""

from __future__ import annotations

from dataclasses import dataclass

from graphs.record.model import GraphRecord, Numbers, Pass

ALL_PASSES = -1  # the `pass_index` of the "All passes" view
SENT = "this pass sent"
GRAD_AFTER = ".grad after this pass"


@dataclass(slots=True)
class NodeFacts:
    """A node's numbers in one view (None where the view has none). Not frozen:
    one is made per node per figure, and a frozen dataclass's __init__ is slower."""

    grad: Numbers = None
    step: int | None = None
    grad_after: Numbers = None
    has_grad_after: bool = False  # False: not a leaf this view reached


class PassView:
    """One pass of a record (`pass_index` a position in `record.passes`,
    None for the last, `ALL_PASSES` for all of them)."""

    def __init__(self, record: GraphRecord, pass_index: int | None = None):
        count = len(record.passes)
        if pass_index is not None and pass_index != ALL_PASSES and not 0 <= pass_index < count:
            raise ValueError(f"pass {pass_index} does not exist; the program made {count} backward pass(es)")
        self.record = record
        self.all = pass_index == ALL_PASSES
        self.chosen: Pass | None = None
        if not self.all and count:
            self.chosen = record.passes[-1 if pass_index is None else pass_index]
        self.passes = record.passes if self.all else [self.chosen] if self.chosen else []
        # The view as plain tables (node id -> ...): a figure reads them for every node.
        if self.chosen is not None:
            run = self.chosen
            self.grads, self.order, self.grad_after = run.grads, run.order, run.grad_after
        else:
            self._all_passes()

    def _all_passes(self) -> None:
        """A gradient where exactly one pass reached the node; each reached
        leaf's `.grad` as the program left it; no step numbers."""
        reached: dict[str, list[Pass]] = {}
        for run in self.passes:
            for node_id in run.grads:
                reached.setdefault(node_id, []).append(run)
        only = {node_id: runs[0] for node_id, runs in reached.items() if len(runs) == 1}
        self.grads = {node_id: run.grads[node_id] for node_id, run in only.items()}
        self.order: dict[str, int] = {}
        self.grad_after = {
            node_id: grad for node_id, grad in self.record.final_grads.items() if node_id in reached
        }

    @property
    def title(self) -> str:
        if not self.record.passes:
            return "No backward pass yet: the graph has values, no gradients"
        if self.all:
            return f"All {len(self.record.passes)} passes"
        return pass_title(self.chosen)

    def facts(self, node_id: str) -> NodeFacts:
        return NodeFacts(
            self.grads.get(node_id),
            self.order.get(node_id),
            self.grad_after.get(node_id),
            node_id in self.grad_after,
        )


def pass_title(run: Pass) -> str:
    """`Pass 2: y2.backward()  line 16` (passes count from 1 for people)."""
    return f"Pass {run.index + 1}: {run.title or run.kind}"
