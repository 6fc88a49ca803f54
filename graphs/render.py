"""Graph record -> Graphviz figure, every node annotated with value and gradient.

Labels are Graphviz HTML-like tables so a small tensor reads as an aligned
matrix. Every string that came from the user's program (names, expressions,
op names, attributes) goes through `html.escape` before it enters a label and
through `graphviz.escape` + `nohtml` before it enters a plain attribute, so no
program text can change the DOT or the HTML around it.

Layout time, not DOT generation, is what limits big graphs: `dot`'s network
simplex blows up on graphs with reused weights (an unrolled RNN). The layout
plan therefore caps its iterations above `LARGE_GRAPH` nodes and drops value
tables above `HUGE_GRAPH`; the plan used is written into the DOT as a comment.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Literal

import graphviz

from graphs import format as fmt
from graphs.record import GraphRecord, Nested, Node, Summary
from graphs.themes import Theme, theme

LARGE_GRAPH = 150
HUGE_GRAPH = 2000
NAME_LIMIT = 40      # longer names/expressions are cut in the label; the tooltip keeps them whole
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
        return f"layout {self.name}" + (f": {settings}" if settings else "") + \
            (", values hidden" if self.compact else "")


def layout_plan(node_count: int) -> LayoutPlan:
    if node_count > HUGE_GRAPH:
        return LayoutPlan("huge", dict(FAST_LAYOUT), compact=True)
    if node_count > LARGE_GRAPH:
        return LayoutPlan("large", dict(FAST_LAYOUT))
    return LayoutPlan("default")


def to_dot(record: GraphRecord, options: RenderOptions = RenderOptions()) -> graphviz.Digraph:
    """The record as a `graphviz.Digraph`; node ids are the record's ids ("n3")."""
    look = theme(options.theme)
    plan = layout_plan(len(record.nodes))
    grads, order = _pass_view(record, options.pass_index)
    graph = graphviz.Digraph("autograd", comment=plan.describe())
    graph.attr("graph", rankdir=options.rankdir, bgcolor=look.background, fontname=look.font,
               nodesep="0.25", ranksep="0.35", **plan.graph_attrs)
    graph.attr("node", shape="box", style="rounded,filled", color=look.border,
               fontcolor=look.text, fontname=look.font, fontsize=str(look.font_size),
               penwidth=str(look.pen_width), margin="0.08,0.04")
    graph.attr("edge", color=look.edge, penwidth=str(look.pen_width),
               arrowsize=str(0.6 + 0.1 * look.pen_width))
    for node in record.nodes:
        grad = grads(node)
        step = order(node) if options.show_order else None
        graph.node(node.id, label=_label(node, grad, step, options, look, plan.compact),
                   id=graphviz.escape(node.id), tooltip=_tooltip(node, grad, step, options),
                   fillcolor=_fill(node, look))
    for edge in record.edges:
        graph.edge(edge.src, edge.dst)
    return graph


def dot_source(record: GraphRecord, options: RenderOptions = RenderOptions()) -> str:
    return to_dot(record, options).source


def _pass_view(record: GraphRecord, pass_index: int | None):
    """Functions giving a node's gradient and step number, for one pass or overall."""
    if pass_index is None:
        return (lambda node: (node.grad, node.grad_summary)), (lambda node: node.order)
    try:
        chosen = record.passes[pass_index]
    except IndexError:
        raise ValueError(f"pass {pass_index} does not exist; "
                         f"the program made {len(record.passes)} backward pass(es)") from None
    return ((lambda node: (chosen.grads.get(node.id, chosen.leaf_grads.get(node.id)), None)),
            (lambda node: chosen.order.get(node.id)))


def _fill(node: Node, look: Theme) -> str:
    if node.kind == "op":
        return look.op_fill
    if node.kind == "output":
        return look.output_fill
    return look.leaf_fill if node.requires_grad else look.const_fill


def _short(text: str) -> str:
    return text if len(text) <= NAME_LIMIT else text[:NAME_LIMIT - 1] + "…"


def _font(text: str, color: str, size: float | None = None, bold: bool = False) -> str:
    """Escaped text in a FONT tag; the only place label text is written."""
    body = html.escape(text)
    if bold:
        body = f"<B>{body}</B>"
    size_attr = f' POINT-SIZE="{size}"' if size else ""
    return f'<FONT COLOR="{color}"{size_attr}>{body}</FONT>'


def _label(node: Node, grad: tuple[Nested, Summary | None], step: int | None, options: RenderOptions,
           look: Theme, compact: bool) -> str:
    title = node.op if node.kind == "op" and node.op else (node.name or node.kind)
    # The badge has the third column to itself so no other row widens it.
    head = f'<TD COLSPAN="2" ALIGN="LEFT">{_font(_short(title), look.text, bold=True)}</TD>'
    if step is not None:
        head += (f'<TD BGCOLOR="{look.badge_fill}">'
                 f'{_font(str(step), look.badge_text, look.small_size, bold=True)}</TD>')
    lines = [f"<TR>{head}</TR>"]
    if node.kind == "op" and node.name:
        lines.append(_row(_font(_short(node.name), look.text)))
    lines.append(_row(_font(fmt.shape_text(node.shape), look.muted, look.small_size)))
    if not compact:
        if options.show_values:
            lines += _tensor_rows("value", (node.value, node.value_summary), node, options,
                                  look.value, look)
        if options.show_grads and node.requires_grad:
            lines += _tensor_rows("grad", grad, node, options, look.grad, look)
        if options.show_attrs:
            lines += [_row(_font(_short(f"{key} = {value}"), look.muted, look.small_size))
                      for key, value in node.attrs.items()]
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{"".join(lines)}</TABLE>>'


def _row(cell: str) -> str:
    return f'<TR><TD COLSPAN="2" ALIGN="LEFT">{cell}</TD></TR>'


def _tensor_rows(caption: str, tensor: tuple[Nested, Summary | None], node: Node,
                 options: RenderOptions, color: str, look: Theme) -> list[str]:
    view = fmt.shown(tensor[0], node.shape, tensor[1], options.digits)
    if view.rows is None:
        return [_row(_font(f"{caption} {view.summary or fmt.NO_VALUE}", color, look.small_size))]
    cells = "".join(
        "<TR>" + "".join(f'<TD ALIGN="RIGHT">{_font(entry, color)}</TD>' for entry in row) + "</TR>"
        for row in view.rows)
    matrix = f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="2">{cells}</TABLE>'
    brackets = f' BORDER="1" SIDES="LR" COLOR="{look.muted}"' if node.shape else ""
    return [f'<TR><TD ALIGN="LEFT">{_font(caption, look.muted, look.small_size)}</TD>'
            f'<TD{brackets}>{matrix}</TD></TR>']


def _tooltip(node: Node, grad: tuple[Nested, Summary | None], step: int | None, options: RenderOptions) -> str:
    """Plain-text tooltip, lines joined by DOT's \\n.

    `graphviz.escape` disables backslash escapes and `nohtml` stops a `<...>`
    name from turning it into an HTML label; `&` is written as `&amp;` because
    Graphviz passes entities in plain strings through to the SVG.
    """
    parts = [" ".join(p for p in (node.op, node.name) if p) or node.kind,
             f"shape {fmt.shape_text(node.shape)} {node.dtype}",
             "value " + fmt.inline(node.value, node.shape, node.value_summary, options.digits)]
    if node.requires_grad:
        parts.append("grad " + fmt.inline(grad[0], node.shape, grad[1], options.digits))
    if step is not None:
        parts.append(f"backward step {step}")
    return graphviz.nohtml("\\n".join(graphviz.escape(part.replace("&", "&amp;")) for part in parts))
