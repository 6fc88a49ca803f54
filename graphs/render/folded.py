"""Which folded view a figure draws (`graphs.views.folding`), worked out once
so the drawing and whatever names its boxes (the app's panels, the player)
read one object."""

from __future__ import annotations

from dataclasses import dataclass

from graphs.record.model import GraphRecord
from graphs.render.layout import LARGE_GRAPH
from graphs.render.options import RenderOptions
from graphs.views import folding
from graphs.views.folding import FoldedView


@dataclass(frozen=True)
class Folding:
    """The folding a figure is drawn with: its folded view (None: the plain
    graph) and the module keys open in it (every module's when unfolded, so
    a *Collapse* beside a node has a key to take away)."""

    view: FoldedView | None
    keys: frozenset[str]


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


def folding_of(record: GraphRecord, options: RenderOptions) -> Folding:
    """`folding_state` as a `Folding`, the keys of a figure drawn unfolded included."""
    found = folding_state(record, options)
    if found is not None:
        return Folding(*found)
    keys = options.folding
    if keys is None or keys == folding.UNFOLDED:  # drawn unfolded: every module open
        keys = (
            folding.all_keys(record, record.shown_nodes(options.pass_index))
            if record.modules
            else frozenset()
        )
    return Folding(None, keys)
