"""The gradient-norm overlay: every node and folded box filled with its bin's
colour (graphs.views.health) and a legend naming each bin's norms.

Colours come from the palettes below and nowhere else: a fill is picked by a
bin, never read from the record. Each palette is sequential (light to dark on
the light themes, dark to bright on the dark one) so the theme's own text
colour stays readable on every bin; zero and NaN/Inf are a grey and a
magenta no step of the scale uses.
"""

from __future__ import annotations

import html

from graphs.record.model import GraphRecord
from graphs.render.options import RenderOptions
from graphs.render.themes import Theme
from graphs.views.folding import FoldedView
from graphs.views.health import NONFINITE, ZERO, Bin, Health, chosen_pass, health

GRAD_NORM = "grad_norm"
LEGEND_ID = "legend"  # the legend node's id (no record id has this form)
# Small gradients cold, large ones hot. Pale fills on the light themes, where the
# labels' dark text and their blue values and red gradients must still read ...
_LIGHT = ("#dbe8f8", "#c9ecd9", "#f1efb0", "#fddcaa", "#fbc6a6", "#f8b0aa")
# ... and deep ones on the dark theme, under its light text.
_DARK = ("#0d2a4a", "#163f3a", "#3b4214", "#4f3a0e", "#5c2a10", "#6a1f24")
_APART = {
    "light": {ZERO: "#c8c8c8", NONFINITE: "#e040c0"},
    "dark": {ZERO: "#4a4a4a", NONFINITE: "#a0207f"},
}
_WORDS = {ZERO: "zero", NONFINITE: "NaN or Inf"}


def palette(look: Theme) -> dict[Bin, str]:
    """Each bin's fill on `look`: the dark theme's own palette, the light one's otherwise."""
    name = "dark" if look.name == "dark" else "light"
    steps = _DARK if name == "dark" else _LIGHT
    return dict(enumerate(steps)) | _APART[name]


class Overlay:
    """What the overlay adds to one figure: fills by node or box id and the legend.
    Built for every figure; empty (no fills, no legend) when the options ask for
    no overlay, hide some gradients, or the view has no single pass (`health.chosen_pass`)."""

    def __init__(
        self, record: GraphRecord, options: RenderOptions, folded: FoldedView | None, look: Theme
    ) -> None:
        # A figure that hides gradients (a quiz) shows no overlay: a fill would tell their size.
        wanted = options.overlay == GRAD_NORM and not options.hide_grads
        run = chosen_pass(record, options.pass_index) if wanted else None
        self.health: Health | None = None if run is None else health(record, run, folded)
        self.look = look
        self.colours = palette(look)
        self.fills = (
            {} if self.health is None else {key: self.colours[b] for key, b in self.health.bins.items()}
        )

    def fill(self, drawn_id: str) -> str | None:
        """The fill of a node or box (None: the theme's own)."""
        return self.fills.get(drawn_id)

    def legend(self) -> str | None:
        """The legend node's statement: one row per bin in use, its colour and
        its norms (numbers of ours, formatted here), or None without an overlay."""
        if self.health is None or not self.health.bins:
            return None
        look, scale = self.look, self.health.scale
        small = f'<FONT COLOR="{look.text}" POINT-SIZE="{look.small_size}">'
        rows = [
            '<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="2" CELLPADDING="2" '
            f'COLOR="{look.border}" BGCOLOR="{look.background}">',
            f'<TR><TD COLSPAN="2">{small}<B>gradient norm (log scale)</B></FONT></TD></TR>',
        ]
        for used in self.health.used():
            if isinstance(used, int) and scale is not None:
                low, high = scale.bounds(used)
                words = f"{low:.1e} to {high:.1e}"
            else:
                words = _WORDS[used]
            rows.append(
                f'<TR><TD BGCOLOR="{self.colours[used]}" WIDTH="18" BORDER="1"> </TD>'
                f'<TD ALIGN="LEFT">{small}{html.escape(words)}</FONT></TD></TR>'
            )
        rows.append("</TABLE>>")
        return f'\t{LEGEND_ID} [label={"".join(rows)} tooltip="gradient norm, log scale"]\n'
