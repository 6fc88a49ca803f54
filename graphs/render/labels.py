"""Node labels (Graphviz HTML-like tables) and tooltips.

A small tensor reads as an aligned matrix: one right-aligned cell per entry,
bracketed by a line on each side. Every string that came from the program
(op names, user names, expressions, attributes) passes through `html.escape`
before it enters a label, and through `graphviz.escape` + `nohtml` before it
enters the tooltip, so no program text can change the DOT or the HTML around
it. Numbers and shapes are produced by `graphs.views.format` from numbers alone.

The fixed markup (colours, fonts, captions) is assembled once per figure in
`Labeller.__init__`: DOT generation must stay as fast as torchviz's although
every label here carries values and gradients.
"""

from __future__ import annotations

import html

import graphviz

from graphs.record.model import Node
from graphs.render.themes import Theme
from graphs.views import format as fmt

NAME_LIMIT = 40  # longer names/expressions are cut in the label; the tooltip keeps them whole ...
TOOLTIP_LIMIT = 500  # ... up to this many characters
MATRIX = '<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="2">'
WIDE = '<TR><TD COLSPAN="2" ALIGN="LEFT">'  # a row across the caption and matrix columns
# What a hidden gradient reads (`RenderOptions.hide_grads`, a quiz's question): each
# entry of a matrix, or the whole row of a summary, so no number of it is drawn.
HIDDEN = "?"


def user_text(text: str) -> str:
    """A program-supplied string, shortened and made inert for an HTML label."""
    if len(text) > NAME_LIMIT:
        text = text[: NAME_LIMIT - 1] + "…"
    return html.escape(text)


def title_of(node: Node) -> str:
    if node.kind == "op" and node.op:
        return node.op
    return node.name or ("constant" if kind_of(node) == "const" else node.kind)


def kind_of(node: Node) -> str:
    """The node's colour class: op, output, leaf (requires grad) or const."""
    if node.kind == "leaf" and not node.requires_grad:
        return "const"
    return node.kind


NO_GRAD = "requires_grad=False"  # the row that says why a constant shows no gradient


class Labeller:
    """Builds every node's label for one figure.

    The label table draws the node itself (rounded border and fill), so a node
    needs no fill attribute of its own: fewer attributes to quote per node.
    """

    def __init__(self, look: Theme, show_attrs: bool) -> None:
        small = f'<FONT COLOR="{look.muted}" POINT-SIZE="{look.small_size}">'
        fills = {
            "op": look.op_fill,
            "output": look.output_fill,
            "leaf": look.leaf_fill,
            "const": look.const_fill,
        }
        # A constant (requires_grad=False) is dashed and muted: autograd never reaches it.
        # A highlighted node (the program line the user pointed at) gets a thick outline.
        styles = {kind: "rounded" for kind in fills} | {"const": "rounded,dashed"}
        borders = {kind: look.border for kind in fills} | {"const": look.muted}
        self.table, self.highlighted = (
            {
                kind: f'<<TABLE STYLE="{styles[kind]}" BORDER="{width:g}" COLOR="{colour or borders[kind]}" '
                f'BGCOLOR="{fill}" CELLBORDER="0" CELLSPACING="2" CELLPADDING="1">'
                for kind, fill in fills.items()
            }
            for width, colour in ((look.pen_width, None), (3 * look.pen_width, look.badge_fill))
        )
        self.fills = fills
        self.show_attrs = show_attrs
        self.title = f'{WIDE}<FONT COLOR="{look.text}"><B>'
        # The badge has the third column to itself, so no other row widens it.
        self.badge = (
            f'</B></FONT></TD><TD BGCOLOR="{look.badge_fill}">'
            f'<FONT COLOR="{look.badge_text}" POINT-SIZE="{look.small_size}"><B>'
        )
        self.name = f'{WIDE}<FONT COLOR="{look.text}">'
        self.detail = f"{WIDE}{small}"
        # A leaf's two gradients are named apart: what the pass sent, and `.grad` after it.
        self.words = {kind: html.escape(kind) for kind in ("value", "grad", "sent", ".grad", "sent = .grad")}
        self.caption = {
            kind: f'<TR><TD ALIGN="LEFT">{small}{word}</FONT></TD>' for kind, word in self.words.items()
        }
        colour = {"value": look.value, "grad": look.grad}
        self.entry = {kind: f'<TD ALIGN="RIGHT"><FONT COLOR="{colour[kind]}">' for kind in colour}
        self.summary = {
            kind: f'{WIDE}<FONT COLOR="{colour[kind]}" POINT-SIZE="{look.small_size}">' for kind in colour
        }
        self.brackets = f'<TD BORDER="1" SIDES="LR" COLOR="{look.muted}">'
        self.note = f'{WIDE}<FONT COLOR="{look.grad}" POINT-SIZE="{look.small_size}"><B>'

    def label(
        self,
        node: Node,
        value: fmt.Shown | None,
        grad: fmt.Shown | None,
        step: int | None,
        grad_after: fmt.Shown | None = None,
        note: str | None = None,
        highlighted: bool = False,
        grad_hidden: bool = False,
        fill: str | None = None,
    ) -> str:
        """The HTML label; `value`/`grad` are None when not shown. A leaf's `grad`
        is what the pass sent into it; `grad_after` its `.grad` after the pass.
        `note` (fixed text of ours) is a warning row: what went wrong at this node.
        `grad_hidden`: the gradient rows are drawn, their numbers `HIDDEN`.
        `fill`: an overlay's colour (graphs.render.overlay's palette) in place of the kind's."""
        kind = kind_of(node)
        opening = (self.highlighted if highlighted else self.table)[kind]
        if fill is not None:
            opening = opening.replace(f'BGCOLOR="{self.fills[kind]}"', f'BGCOLOR="{fill}"', 1)
        parts = [
            opening,
            self.title,
            user_text(title_of(node)),
        ]
        if step is not None:
            parts += [self.badge, str(int(step))]
        parts.append("</B></FONT></TD></TR>")
        if node.kind == "op" and node.name:
            parts += [self.name, user_text(node.name), "</FONT></TD></TR>"]
        parts += [self.detail, fmt.shape_text(node.shape), "</FONT></TD></TR>"]
        if kind == "const":
            parts += [self.detail, NO_GRAD, "</FONT></TD></TR>"]
        if value is not None:
            self._tensor(parts, "value", value, node.shape)
        self._grads(parts, node, grad, grad_after, grad_hidden)
        if note is not None:
            parts += [self.note, html.escape(note), "</B></FONT></TD></TR>"]
        if self.show_attrs:
            for key, text in node.attrs.items():
                parts += [self.detail, user_text(f"{key} = {text}"), "</FONT></TD></TR>"]
        parts.append("</TABLE>>")
        return "".join(parts)

    def _grads(
        self, parts: list[str], node: Node, grad: fmt.Shown | None, grad_after: fmt.Shown | None, hidden: bool
    ) -> None:
        """What the pass sent and a leaf's `.grad` after it, named apart; one row says both when equal."""
        if grad is not None and grad == grad_after:  # the first pass
            self._tensor(parts, "grad", grad, node.shape, "sent = .grad", hidden)
            return
        if grad is not None:
            self._tensor(parts, "grad", grad, node.shape, "sent" if node.kind == "leaf" else "grad", hidden)
        if grad_after is not None:
            self._tensor(parts, "grad", grad_after, node.shape, ".grad", hidden)

    def _tensor(
        self,
        parts: list[str],
        kind: str,
        view: fmt.Shown,
        shape: list[int],
        caption: str | None = None,
        hidden: bool = False,
    ) -> None:
        if view.rows is None:
            if hidden:
                parts += [self.summary[kind], HIDDEN, "</FONT></TD></TR>"]
                return
            parts += [
                self.summary[kind],
                self.words[caption or kind],
                " ",
                view.summary or fmt.NO_VALUE,
                "</FONT></TD></TR>",
            ]
            return
        entry = self.entry[kind]
        parts += [self.caption[caption or kind], self.brackets if shape else "<TD>", MATRIX]
        for row in view.rows:
            parts.append("<TR>")
            for text in row:
                parts += [entry, HIDDEN if hidden else text, "</FONT></TD>"]
            parts.append("</TR>")
        parts.append("</TABLE></TD></TR>")


def tooltip(node: Node) -> str | None:
    """The full op and name when the label had to cut them, else None (no tooltip).

    Only text the label hides gets a tooltip: graphviz's quoting of a plain
    string costs more per character than building a whole label, and DOT
    generation has to keep pace with torchviz's. `graphviz.escape` disables
    backslash escapes and marks the text as not HTML; `&` is written as
    `&amp;` because Graphviz passes entities in plain strings through to SVG.
    """
    if len(title_of(node)) <= NAME_LIMIT and len(node.name or "") <= NAME_LIMIT:
        return None
    text = " ".join(part for part in (node.op, node.name) if part)
    if len(text) > TOOLTIP_LIMIT:  # a whole expression reads in 500 characters; a forged name can be 10,000
        text = text[: TOOLTIP_LIMIT - 1] + "…"
    return graphviz.escape(text.replace("&", "&amp;"))


class ModuleLabeller:
    """Labels of folded modules: a collapsed box (path, class, ×N and the
    summary of what flows in and out) and an expanded module's cluster."""

    def __init__(self, look: Theme) -> None:
        self.open = (
            '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="1" CELLPADDING="1">'
            f'<TR><TD ALIGN="LEFT"><FONT COLOR="{look.text}"><B>'
        )
        self.badge = (
            f'</B></FONT></TD><TD BGCOLOR="{look.badge_fill}">'
            f'<FONT COLOR="{look.badge_text}" POINT-SIZE="{look.small_size}"><B>×'
        )
        self.row = (
            f'<TR><TD ALIGN="LEFT" COLSPAN="2"><FONT COLOR="{look.muted}" POINT-SIZE="{look.small_size}">'
        )
        colour = {"value": look.value, "grad": look.grad}
        cell = '<TR><TD ALIGN="LEFT" COLSPAN="2">'
        self.stat = {
            kind: f'{cell}<FONT COLOR="{colour[kind]}" POINT-SIZE="{look.small_size}">' for kind in colour
        }
        self.cluster = f'<<FONT COLOR="{look.muted}" POINT-SIZE="{look.small_size}">'

    def box(self, title: str, kind: str, count: int, rows: list[tuple[str, str]]) -> str:
        """`rows` are (value | grad, text of ours) lines of the summary."""
        parts = [self.open, user_text(title)]
        if count > 1:
            parts += [self.badge, str(int(count))]
        parts += ["</B></FONT></TD></TR>", self.row, user_text(kind), "</FONT></TD></TR>"]
        for colour, text in rows:
            parts += [self.stat[colour], html.escape(text), "</FONT></TD></TR>"]
        parts.append("</TABLE>>")
        return "".join(parts)

    def cluster_label(self, text: str) -> str:
        return f"{self.cluster}{html.escape(text)} ▾</FONT>>"
