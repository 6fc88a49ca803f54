"""Every node of one view as a table row: what a student checks against
their notebook's prints (the command line's `run`)."""

from __future__ import annotations

import pandas as pd

from graphs.record.model import GraphRecord
from graphs.views import format as fmt
from graphs.views.passes import PassView


def node_frame(record: GraphRecord, digits: int | None = None, view: PassView | None = None) -> pd.DataFrame:
    """One row per node for one view (default: the last pass). A leaf's `grad`
    is what the pass sent; `.grad` is the leaf's `.grad` after the pass."""
    view = view or PassView(record)
    rows = []
    for node in record.nodes:
        facts = view.facts(node.id)
        after = "None" if facts.grad_after is None else fmt.inline(facts.grad_after, node.shape, digits)
        rows.append(
            {
                "id": node.id,
                "kind": node.kind,
                "op": node.op or "",
                "name": node.name or "",
                "shape": fmt.shape_text(node.shape),
                "value": fmt.inline(node.value, node.shape, digits),
                "grad": fmt.inline(facts.grad, node.shape, digits) if node.requires_grad else "",
                ".grad": after if facts.has_grad_after else "",
                "order": "" if facts.step is None else str(facts.step),
            }
        )
    return pd.DataFrame(rows)
