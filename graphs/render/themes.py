"""Colours and type sizes for the rendered graph, in one table.

Every visual choice the renderer makes lives here so a theme is one row to
read or change. `slides` exists because a projected figure is read from the
back of a classroom: large type, thick lines and full-contrast colours.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Theme:
    name: str
    background: str
    text: str
    muted: str  # secondary text: shapes, captions, attributes
    value: str  # forward values
    grad: str  # gradients: a colour of their own so they never read as values
    edge: str
    border: str
    op_fill: str  # grad_fn nodes (torchviz: light grey)
    leaf_fill: str  # leaves that require grad (torchviz: light blue)
    const_fill: str  # tensors that do not require grad
    output_fill: str  # the tensors backpropagated from (torchviz: green)
    badge_fill: str  # backward step number
    badge_text: str
    font: str
    font_size: float
    small_size: float
    pen_width: float


THEMES: dict[str, Theme] = {
    theme.name: theme
    for theme in (
        Theme(
            "light",
            background="white",
            text="#1a1a1a",
            muted="#5f6368",
            value="#0b3d91",
            grad="#b3261e",
            edge="#444444",
            border="#6b6b6b",
            op_fill="#e8e8e8",
            leaf_fill="#cfe8fc",
            const_fill="#ffffff",
            output_fill="#c8f0c0",
            badge_fill="#f29c1f",
            badge_text="#000000",
            font="Helvetica",
            font_size=11,
            small_size=9,
            pen_width=1.0,
        ),
        Theme(
            "dark",
            background="#1e1f22",
            text="#e8eaed",
            muted="#a0a4aa",
            value="#8ab4f8",
            grad="#f28b82",
            edge="#bdc1c6",
            border="#8a8f96",
            op_fill="#34373c",
            leaf_fill="#17405f",
            const_fill="#26282c",
            output_fill="#1f4d2b",
            badge_fill="#fbbc04",
            badge_text="#000000",
            font="Helvetica",
            font_size=11,
            small_size=9,
            pen_width=1.0,
        ),
        Theme(
            "slides",
            background="white",
            text="#000000",
            muted="#222222",
            value="#0000b0",
            grad="#c00000",
            edge="#000000",
            border="#000000",
            op_fill="#e0e0e0",
            leaf_fill="#a6d4ff",
            const_fill="#ffffff",
            output_fill="#9be38f",
            badge_fill="#ff8c00",
            badge_text="#000000",
            font="Helvetica-Bold",
            font_size=22,
            small_size=18,
            pen_width=3.0,
        ),
    )
}


def theme(name: str) -> Theme:
    """The theme called `name`; a clear error listing the choices otherwise."""
    try:
        return THEMES[name]
    except KeyError:
        raise ValueError(f"unknown theme {name!r}; choose one of {', '.join(THEMES)}") from None
