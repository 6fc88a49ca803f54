"""Which folded view a figure draws (`graphs.views.folding`): none for a
small graph left automatic, the first view for a large one, or the keys given."""

from __future__ import annotations

from graphs.record.model import GraphRecord
from graphs.render.layout import LARGE_GRAPH
from graphs.render.options import RenderOptions
from graphs.views import folding
from graphs.views.folding import FoldedView


def folded_view(record: GraphRecord, options: RenderOptions) -> FoldedView | None:
    """What a figure with these options draws folded, or None for the plain graph:
    a record without modules, a small one left to the automatic state, or `UNFOLDED`."""
    found = folding_state(record, options)
    return None if found is None else found[0]


def folding_state(record: GraphRecord, options: RenderOptions) -> tuple[FoldedView, frozenset[str]] | None:
    """`folded_view` and the module keys it has open (the first view's when automatic)."""
    if not record.modules or options.folding == folding.UNFOLDED:
        return None
    shown = record.shown_nodes(options.pass_index)
    if options.folding is None and len(record.nodes if shown is None else shown) <= LARGE_GRAPH:
        return None
    return folding.view(record, options.folding, shown)
