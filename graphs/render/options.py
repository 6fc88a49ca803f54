"""What the user can change about a figure (the graph's shape decides the
rest: see `graphs.render.layout`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from graphs.render.themes import theme


@dataclass(frozen=True)
class RenderOptions:
    show_values: bool = True
    show_grads: bool = True
    show_attrs: bool = False
    show_order: bool = True
    digits: int | None = None  # None: as torch prints (4 decimals)
    rankdir: Literal["TB", "LR"] = "TB"
    theme: Literal["light", "dark", "slides"] = "light"
    pass_index: int | None = None  # None: node.grad / node.order; int: that Pass's
    # Inputs that do not require grad (data, targets) as dashed leaves; tensors cut by
    # detach()/no_grad() are drawn either way (the projector leaves the others out).
    show_constants: bool = True
    # Node ids drawn with a thick outline: the nodes a program line made (the code<->graph link).
    highlight: frozenset[str] = frozenset()
    # Module folding (graphs.views.folding): the keys of the module calls drawn
    # expanded, every other one a box. None: automatic, the first view for a
    # graph of more than LARGE_GRAPH nodes, the plain unfolded graph otherwise
    # (`graphs.views.folding.UNFOLDED`: the plain graph whatever its size).
    folding: frozenset[str] | None = None
    # Node ids whose gradients are drawn as "?" (`labels.HIDDEN`): a quiz's questions,
    # left out of the drawing, so no number of theirs is in the DOT or the SVG. A
    # collapsed module's summary row of one of their gradients is a "?" too.
    hide_grads: frozenset[str] = frozenset()
    # "grad_norm": every node and folded box filled by its gradient norm in the
    # pass shown, on a log scale with a legend (`graphs.render.overlay`).
    overlay: Literal["grad_norm"] | None = None

    def __post_init__(self) -> None:
        if self.rankdir not in ("TB", "LR"):
            raise ValueError(f"rankdir must be TB or LR, not {self.rankdir!r}")
        if self.digits is not None and not 0 <= self.digits <= 12:
            raise ValueError("digits must be between 0 and 12")
        theme(self.theme)
        if self.folding is not None and not (
            isinstance(self.folding, frozenset) and all(isinstance(key, str) for key in self.folding)
        ):
            raise ValueError("folding must be a frozenset of module keys")
        if not isinstance(self.hide_grads, frozenset):
            raise ValueError("hide_grads must be a frozenset of node ids")
        if self.overlay not in (None, "grad_norm"):
            raise ValueError(f"overlay must be None or 'grad_norm', not {self.overlay!r}")
