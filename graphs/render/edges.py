"""The edges no gradient travels: constants dotted, detach()/no_grad() cuts
dashed with their note (`graphs.views.pitfalls`)."""

from __future__ import annotations

from functools import lru_cache

import graphviz

from graphs.record.model import GraphRecord
from graphs.render.ids import check_id
from graphs.render.themes import theme
from graphs.views.folding import FoldedView
from graphs.views.pitfalls import CUT_NOTES


def draw_no_grad_edges(
    graph: graphviz.Digraph,
    record: GraphRecord,
    theme_name: str,
    shown: set[str] | None,
    folded: FoldedView | None,
) -> None:
    """Constants dotted, cuts dashed with their note; in a folded view each end
    is what stands for it (a box), once per pair, and an edge inside one box
    is not drawn."""
    styles = _no_grad_styles(theme_name)
    boxes = set() if folded is None else {box.id for box in folded.boxes}
    drawn_ends = None if shown is None else shown | boxes
    drawn: set[tuple[str, str]] = set()
    for edge in record.no_grad_edges:
        check_id(edge.src)
        check_id(edge.dst)
        src, dst = edge.src, edge.dst
        if folded is not None:
            src, dst = folded.hidden.get(src, src), folded.hidden.get(dst, dst)
        drawable = drawn_ends is None or (src in drawn_ends and dst in drawn_ends)
        if not drawable or src == dst or (src, dst) in drawn:
            continue
        drawn.add((src, dst))
        graph.body.append(f"\t{src} -> {dst} {styles[edge.kind]}\n")


def plain_constants(record: GraphRecord) -> set[str]:
    """Constants that no detach()/no_grad() cut made (a program's data and targets)."""
    cut = {edge.src for edge in record.no_grad_edges if edge.kind != "constant"}
    return {edge.dst for edge in record.no_grad_edges if edge.kind == "constant"} - cut


@lru_cache(maxsize=8)
def _no_grad_styles(theme_name: str) -> dict[str, str]:
    """The attribute list of each kind of edge no gradient travels, quoted once per theme."""
    look = theme(theme_name)
    font = f'fontname="{look.font}" fontsize="{look.small_size:g}" fontcolor="{look.grad}"'
    styles = {"constant": f'[style=dotted color="{look.muted}"]'}
    for kind, note in CUT_NOTES.items():
        styles[kind] = f'[style=dashed color="{look.grad}" {font} label="{note.text}"]'
    return styles
