"""Step through backward in the graph: ◀ ▶, play/pause, a scrubber and the arrow keys.

The same SVG as the graph view, with one CSS rule set per step (made by
`graphs.player`) swapped in by `graphs/notebook/player.js`, the script the
offline HTML player uses too; this component's own HTML, CSS and glue are the
`player_view.*` files beside this module. In a folded figure a step that runs
a node inside a collapsed module outlines the module's box. When the user
steps (not while playing), the step's node goes back to Python and becomes
the inspector's selection. Below the player: the steps as a zip of SVG frames
and as one offline HTML file, made only when asked for (thousands of steps
in a folded RNN are tens of megabytes of frames).
"""

from __future__ import annotations

from collections.abc import Callable
from string import Template

import streamlit as st

from components.i18n import _, translator
from graphs import player
from graphs.folding import FoldedView
from graphs.notebook import assets
from graphs.record import GraphRecord

HEIGHT = 680
SCOPE = ".ae-player "

# The controls, their style and the stepping script are shared with the offline player.
_PLAYER = st.components.v2.component(
    "autograd_player",
    html=Template(assets.text("player_view.html", __package__)).substitute(
        controls=assets.text("player.html")
    ),
    css=assets.text("player.css") + assets.text("player_view.css", __package__),
    js=assets.text("panzoom.js") + assets.text("player.js") + assets.text("player_view.js", __package__),
)


def player_view(
    record: GraphRecord,
    svg: str,
    pass_index: int | None,
    theme: str,
    on_step: Callable[[str], None],
    name: str,
    key: str = "player",
    folded: FoldedView | None = None,
) -> None:
    """`folded` is the folded view `svg` was drawn from (None: the plain graph)."""
    gettext = translator()
    found = player.steps(record, pass_index, svg, theme, SCOPE, folded, gettext)
    if not found:
        st.info(_("No backward pass yet: nothing to step through."))
        return

    def stepped() -> None:
        node_id = st.session_state[key].get("step")
        if node_id:
            on_step(node_id)

    steps = [{"css": step.css, "caption": step.caption, "node": step.node} for step in found]
    _PLAYER(
        key=key,
        data={"svg": svg, "steps": steps, "height": HEIGHT},
        height=HEIGHT + 90,
        on_step_change=stepped,
    )

    def plain() -> list[player.Step]:  # unscoped: standalone files
        return player.steps(record, pass_index, svg, theme, folded=folded, gettext=gettext)

    left, right = st.columns(2)
    left.download_button(
        _("Steps as SVG frames (zip)"),
        lambda: player.frames_zip(svg, plain()),
        file_name=f"{name}_backward_steps.zip",
        mime="application/zip",
        icon=":material/animated_images:",
        on_click="ignore",
        key="player_zip",
    )
    right.download_button(
        _("Offline HTML player"),
        lambda: player.player_html(svg, plain(), name).encode("utf-8"),
        file_name=f"{name}_backward_player.html",
        mime="text/html",
        icon=":material/slideshow:",
        on_click="ignore",
        key="player_html",
    )
