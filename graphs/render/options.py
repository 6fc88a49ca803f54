"""What the user can change about a figure, and what the graph's size decides.

Layout time, not DOT generation, is what limits big graphs: `dot`'s network
simplex blows up on graphs with reused weights (an unrolled RNN: about 500
nodes took 16 s and 1,000 over 2 minutes with default settings). Capping its
iterations (`nslimit`, `nslimit1`, `mclimit`) and drawing straight edges cut
that to 0.4 s and 9 s, so graphs above `LARGE_GRAPH` nodes get those settings
and graphs above `HUGE_GRAPH` also lose their value tables.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from graphs.themes import theme

LARGE_GRAPH = 150
HUGE_GRAPH = 2000
FAST_LAYOUT = {"nslimit": "1", "nslimit1": "1", "mclimit": "0.1", "splines": "false"}


@dataclass(frozen=True)
class RenderOptions:
    show_values: bool = True
    show_grads: bool = True
    show_attrs: bool = False
    show_order: bool = True
    digits: int | None = None                 # None: as torch prints (4 decimals)
    rankdir: Literal["TB", "LR"] = "TB"
    theme: Literal["light", "dark", "slides"] = "light"
    pass_index: int | None = None             # None: node.grad / node.order; int: that Pass's

    def __post_init__(self) -> None:
        if self.rankdir not in ("TB", "LR"):
            raise ValueError(f"rankdir must be TB or LR, not {self.rankdir!r}")
        if self.digits is not None and not 0 <= self.digits <= 12:
            raise ValueError("digits must be between 0 and 12")
        theme(self.theme)


@dataclass(frozen=True)
class LayoutPlan:
    """Graphviz settings chosen for a graph's size, kept so callers can report them."""

    name: Literal["default", "large", "huge"]
    graph_attrs: dict[str, str] = field(default_factory=dict)
    compact: bool = False      # labels show op, name and shape only

    def describe(self) -> str:
        settings = " ".join(f"{key}={value}" for key, value in self.graph_attrs.items())
        return (f"layout {self.name}" + (f": {settings}" if settings else "")
                + (", values hidden" if self.compact else ""))


def layout_plan(node_count: int) -> LayoutPlan:
    if node_count > HUGE_GRAPH:
        return LayoutPlan("huge", dict(FAST_LAYOUT), compact=True)
    if node_count > LARGE_GRAPH:
        return LayoutPlan("large", dict(FAST_LAYOUT))
    return LayoutPlan("default")
