"""The figure's direction and wrapping chosen for the screen it is shown on.

A backward graph is mostly a long chain: the default lesson (seed 003) is 11
nodes deep, so drawn top-to-bottom it is a 1:4 strip, left-to-right a 6:1
one, and either, fitted into a laptop pane or a 16:9 projector, shrinks its
text below reading size. So besides the two directions the figure may be
*wrapped*: the ranks (distance from the output) are cut into 2 or 3 bands
that Graphviz lays out side by side, like lines of text, each band
continuing where the previous one stopped. The candidate whose laid-out
size fills the box at the largest scale wins.

Wrapping works on the DOT text: an edge that crosses bands gets
`constraint=false` (so it does not push its head a rank further), and the
first nodes of consecutive bands are tied into one rank by an invisible edge,
which makes Graphviz keep the bands in reading order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from graphs.record.model import GraphRecord
from graphs.render.layout import ranks

DIRECTIONS = ("TB", "LR")
MAX_BANDS = 3
WRAP_NODES = 60  # above this, wrapping only tangles the edges: one band
_EDGE = re.compile(r"^\t(n\d+) -> (n\d+)$", re.MULTILINE)


@dataclass(frozen=True)
class Layout:
    """One way to draw a figure: its direction, its bands, and the DOT text."""

    rankdir: str
    bands: int
    dot: str


@dataclass(frozen=True)
class Sized:
    """A candidate layout and its size in CSS pixels once Graphviz laid it out."""

    layout: Layout
    width: float
    height: float

    def scale(self, box_width: float, box_height: float) -> float:
        """The zoom at which the figure just fits the box."""
        return min(box_width / self.width, box_height / self.height)


def band_counts(record: GraphRecord) -> tuple[int, ...]:
    """The band counts worth trying: a band needs at least 3 ranks."""
    if len(record.nodes) > WRAP_NODES:
        return (1,)
    depth = max(ranks(record).values(), default=0) + 1
    return tuple(range(1, min(MAX_BANDS, depth // 3) + 1)) or (1,)


def wrap(dot: str, record: GraphRecord, bands: int) -> str:
    """`dot` (as `graphs.render.dot_source` writes it) cut into `bands` bands."""
    if bands <= 1:
        return dot
    rank = ranks(record)
    per_band = -(-(max(rank.values()) + 1) // bands)
    band = {node_id: r // per_band for node_id, r in rank.items()}

    def edge(match: re.Match[str]) -> str:
        src, dst = match.groups()
        return match.group(0) if band.get(src) == band.get(dst) else f"\t{src} -> {dst} [constraint=false]"

    wrapped = _EDGE.sub(edge, dot)
    # The first node of each band (lowest id among its top rank, so the choice is stable).
    heads = [
        min((n for n, r in rank.items() if r == b * per_band), key=lambda n: int(n[1:]), default=None)
        for b in range(bands)
    ]
    heads = [head for head in heads if head is not None and f"\t{head} [" in dot]
    ties = "".join(
        f"\t{{rank=same; {a}; {b}}}\n\t{a} -> {b} [style=invis]\n"
        for a, b in zip(heads, heads[1:], strict=False)
    )
    return wrapped.rstrip().removesuffix("}") + ties + "}\n"


def svg_size(svg: str) -> tuple[float, float]:
    """An SVG's drawn size in CSS pixels (Graphviz writes its viewBox in points)."""
    match = re.search(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+) ([\d.]+)"', svg)
    if match is None:
        raise ValueError("the SVG has no viewBox")
    width, height = map(float, match.groups())
    return width * 4 / 3, height * 4 / 3


def best(candidates: list[Sized], box_width: float, box_height: float) -> Sized:
    """The candidate shown largest in the box (fewer bands when they tie within 5%)."""
    top = max(candidate.scale(box_width, box_height) for candidate in candidates)
    return min(
        (c for c in candidates if c.scale(box_width, box_height) >= 0.95 * top),
        key=lambda c: (c.layout.bands, -c.scale(box_width, box_height)),
    )
