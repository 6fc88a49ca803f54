"""Gradient health of one pass as data: each node's and each folded box's
gradient norm put in a bin of a log scale, and the layers' norms along depth.

A gradient that vanishes or explodes changes by orders of magnitude from
layer to layer, so the scale is log10: `BINS` equal steps of log10 from the
smallest to the largest finite, non-zero norm of the pass (`Pass.norms`, kept
by the worker for every gradient however large). A zero norm (a dead ReLU's,
a cut's) and a NaN or Inf are no point of that scale and get bins of their
own, `ZERO` and `NONFINITE`. Colours are the renderer's business
(graphs.render.overlay): a view says which bin, never which colour.

A folded box's norm is the largest signal among the ops it holds (its
parameters' own gradients only when it holds nothing else): the same measure
as a layer's in graphs.views.diagnosis, so a box and its layer's bar in the
strip agree, and one exploding op inside a box is never hidden by its
neighbours. The layers are diagnosis's own (`diagnosis.layers`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from graphs.record.model import GraphRecord, Pass
from graphs.views.diagnosis import layers, parameter_side
from graphs.views.folding import FoldedView

BINS = 6
ZERO = "zero"  # a gradient of zeros: no point on a log scale
NONFINITE = "nonfinite"  # NaN or Inf somewhere in it

Bin = int | str  # 0 .. BINS-1 from the smallest norm up, or ZERO / NONFINITE


@dataclass(frozen=True)
class Scale:
    """The log scale of one pass: `BINS` equal steps of log10 from `low` to
    `high` (the smallest and largest finite non-zero norms)."""

    low: float
    high: float

    def bin(self, norm: float) -> Bin:
        """The bin of one norm: its log10's step, the top one for `high` itself."""
        if not math.isfinite(norm):
            return NONFINITE
        if norm <= 0:
            return ZERO
        span = math.log10(self.high) - math.log10(self.low)
        if span <= 0:
            return BINS - 1  # one norm in the whole pass: it is the largest
        step = int((math.log10(norm) - math.log10(self.low)) / span * BINS)
        return min(max(step, 0), BINS - 1)

    def bounds(self, index: int) -> tuple[float, float]:
        """The norms bin `index` covers, for a legend."""
        low, high = math.log10(self.low), math.log10(self.high)
        width = (high - low) / BINS
        return 10 ** (low + index * width), 10 ** (low + (index + 1) * width)


@dataclass(frozen=True)
class LayerNorm:
    """One bar of the per-layer strip: a layer's name and largest gradient norm,
    in the order the pass reached the layers (the output's first)."""

    name: str
    line: int | None
    norm: float


@dataclass(frozen=True)
class Health:
    """One pass's gradient health: the scale (None: no finite non-zero norm),
    each node's and box's norm and bin, and the layers along depth."""

    pass_index: int
    scale: Scale | None
    norms: dict[str, float]  # node or box id -> gradient norm
    bins: dict[str, Bin]  # node or box id -> its bin
    layers: tuple[LayerNorm, ...]

    def used(self) -> list[Bin]:
        """The bins some node or box is in, in legend order: the scale's, then zero, then NaN/Inf."""
        present = set(self.bins.values())
        return [b for b in [*range(BINS), ZERO, NONFINITE] if b in present]


def chosen_pass(record: GraphRecord, pass_index: int | None) -> Pass | None:
    """The pass a figure shows (None: the last); None when there is no single one
    (no pass, or the "All passes" view, whose norms belong to no one pass)."""
    if not record.passes or (pass_index is not None and not 0 <= pass_index < len(record.passes)):
        return None
    return record.passes[-1 if pass_index is None else pass_index]


def health(record: GraphRecord, run: Pass, folded: FoldedView | None = None) -> Health:
    """The health of pass `run`; with `folded`, each of its boxes too."""
    norms = dict(run.norms)
    if folded is not None:
        leaves = parameter_side(record)
        boxes: dict[str, float] = {}  # a box's signal, as its layer is measured
        held: dict[str, float] = {}  # its parameters' own: for a box of nothing else
        for node_id, box_id in folded.hidden.items():
            norm = run.norms.get(node_id)
            if norm is not None:
                into = held if node_id in leaves else boxes
                into[box_id] = _larger(into.get(box_id), norm)
        norms.update({**held, **boxes})
    scale = _scale(run.norms.values())
    bins = {} if scale is None else {key: scale.bin(norm) for key, norm in norms.items()}
    if scale is None:  # every norm zero or non-finite: those bins still stand apart
        bins = {key: ZERO if norm == 0 else NONFINITE for key, norm in norms.items() if not norm > 0}
    return Health(run.index, scale, norms, bins, tuple(_layer_norms(record, run)))


def _larger(held: float | None, norm: float) -> float:
    """The box's norm so far against one more node's: a NaN or Inf wins, it is the news."""
    if held is None or not math.isfinite(norm):
        return norm
    return held if not math.isfinite(held) else max(held, norm)


def _scale(norms) -> Scale | None:
    usable = [norm for norm in norms if math.isfinite(norm) and norm > 0]
    return Scale(min(usable), max(usable)) if usable else None


def _layer_norms(record: GraphRecord, run: Pass) -> list[LayerNorm]:
    """diagnosis's layers named for a reader: the module call's key (`model.3`,
    `loop@L7@2`), else the parameter's name or op."""
    found = []
    for layer in layers(record, run):
        node = record.node(layer.node)
        if node.module is not None:
            name = node.module if not node.call else f"{node.module}@{node.call}"
        else:
            name = node.name or node.op or node.id
        found.append(LayerNorm(name, node.line, layer.norm))
    return found
