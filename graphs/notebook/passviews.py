"""Which pass views a notebook page offers, and which of them it can carry.

A static page has no kernel behind it, so every view its picker offers is a
figure drawn now and embedded (graphs/notebook/page.py). A training loop keeps
its first and last passes and a log-spaced spread between (graphs.worker.spread:
up to 6 + 16), and all of them are offered, unless their figures would make the
page too large: figures are embedded until `FIGURE_BYTES` of SVG, the "all
passes" view first, then the kept passes from both ends of the run inwards
(first, last, the middle, the quarters, ...) so a page that cannot carry them
all still spans the run. Each figure left out costs nothing but its name in
the page's note; `Explorer.svg(pass_index)` draws any of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from graphs.record.model import GraphRecord
from graphs.views.passes import ALL_PASSES, pass_title

# The SVG a page embeds at most (a figure that reaches past it is still the
# first one, and a page always has one). A 22-pass loop of a small MLP draws
# 0.8 MB; a 30-step RNN trained 300 times draws 0.2 MB a pass and stops here.
FIGURE_BYTES = 3_000_000

View = tuple[str, int | None]  # (picker label, pass index: None, ALL_PASSES or a kept pass's position)


@dataclass(frozen=True)
class Embedded:
    """The views a page carries, in picker order, with their figures, and the
    kept passes it had no room for (their positions in `record.passes`, what
    `Explorer.svg` takes)."""

    views: list[View]
    svgs: list[str]
    left_out: list[int]
    budget: int  # the bytes of SVG it was allowed


def pass_views(record: GraphRecord) -> list[View]:
    """Every view a page could offer: the "all passes" view
    (`graphs.views.passes`) first, then one per kept pass when there are
    several. A lone view needs no label."""
    if len(record.passes) < 2:
        return [("", None)]
    return [("all passes", ALL_PASSES)] + [(pass_title(step), i) for i, step in enumerate(record.passes)]


def ends_inwards(count: int) -> list[int]:
    """0 .. count-1 in the order a spread is filled: both ends, then the middle of
    each gap, breadth first (5 -> 0, 4, 2, 1, 3)."""
    if count <= 2:
        return list(range(count))
    order, gaps = [0, count - 1], [(0, count - 1)]
    while gaps:
        wider = []
        for low, high in gaps:
            middle = (low + high) // 2
            order.append(middle)
            wider += [gap for gap in ((low, middle), (middle, high)) if gap[1] - gap[0] > 1]
        gaps = wider
    return order


def embed(views: list[View], draw: Callable[[int | None], str], budget: int = FIGURE_BYTES) -> Embedded:
    """The first view, then the rest from the ends inwards while their figures
    (`draw(pass_index)`) fit in `budget` bytes; the first that does not fit ends it."""
    first, *rest = views
    chosen = {0: draw(first[1])}
    used = len(chosen[0])
    for position in ends_inwards(len(rest)):
        svg = draw(rest[position][1])
        if used + len(svg) > budget:
            break
        chosen[position + 1] = svg
        used += len(svg)
    kept = sorted(chosen)
    return Embedded(
        [views[i] for i in kept],
        [chosen[i] for i in kept],
        [index for i, (_, index) in enumerate(views) if i not in chosen],
        budget,
    )
