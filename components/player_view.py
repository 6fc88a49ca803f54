"""Step through backward in the graph: ◀ ▶, play/pause, a scrubber and the arrow keys.

The same SVG as the graph view, with one CSS rule set per step (made by
`graphs.player`) swapped in by `graphs/notebook/player.js`, the script the
offline HTML player uses too. When the user steps (not while playing), the
step's node goes back to Python and becomes the inspector's selection.
Below the player: the steps as a zip of SVG frames and as one offline HTML file.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from components.i18n import _
from graphs import player
from graphs.notebook import assets
from graphs.record import GraphRecord

HEIGHT = 680
SCOPE = ".ae-player "

CSS = (
    assets.text("player.css")
    + """
.ae-frame { border: 1px solid var(--st-border-color, #ddd); border-radius: 0.5rem; overflow: hidden;
            background: var(--st-background-color); }
.ae-viewport { width: 100%; height: 100%; cursor: grab; touch-action: none; }
.ae-viewport svg { transform-origin: 0 0; }
.ae-controls button, .ae-caption { color: var(--st-text-color); }
"""
)

HTML = (
    '<div class="ae-player">'
    + assets.text("player.html")
    + '<div class="ae-frame"><div class="ae-viewport" data-testid="player-viewport"></div></div></div>'
)

JS = (
    assets.text("panzoom.js")
    + "\n"
    + assets.text("player.js")
    + """
export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const root = parentElement.querySelector(".ae-player");
  const frame = root.querySelector(".ae-frame");
  const viewport = root.querySelector(".ae-viewport");
  frame.style.height = `${data.height}px`;
  const view = parentElement.__view || (parentElement.__view = { k: 1, x: 0, y: 0, svg: null });
  const panzoom = autogradPanZoom(viewport, view, () => {});
  if (viewport.__svg !== data.svg) {
    viewport.innerHTML = data.svg;
    viewport.__svg = data.svg;
    panzoom.prepare();
    if (root.__player) root.__player.index = 0;
    if (view.svg !== data.svg) { view.svg = data.svg; requestAnimationFrame(panzoom.natural); }
  }
  panzoom.apply();
  autogradPlayer(root, data.steps, (index) => setTriggerValue("step", data.steps[index].node || ""));
}
"""
)

_PLAYER = st.components.v2.component("autograd_player", html=HTML, css=CSS, js=JS)


def player_view(
    record: GraphRecord,
    svg: str,
    pass_index: int | None,
    theme: str,
    on_step: Callable[[str], None],
    name: str,
    key: str = "player",
) -> None:
    found = player.steps(record, pass_index, svg, theme, scope=SCOPE)
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
    plain = player.steps(record, pass_index, svg, theme)  # unscoped: standalone files
    left, right = st.columns(2)
    left.download_button(
        _("Steps as SVG frames (zip)"),
        player.frames_zip(svg, plain),
        file_name=f"{name}_backward_steps.zip",
        mime="application/zip",
        icon=":material/animated_images:",
        on_click="ignore",
        key="player_zip",
    )
    right.download_button(
        _("Offline HTML player"),
        player.player_html(svg, plain, name).encode("utf-8"),
        file_name=f"{name}_backward_player.html",
        mime="text/html",
        icon=":material/slideshow:",
        on_click="ignore",
        key="player_html",
    )
