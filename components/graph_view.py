"""The graph itself: the core's SVG, large, with zoom, pan, fullscreen and
click-to-select.

It is a `st.components.v2` component with a few lines of inline JavaScript
(no build step) on top of the pan/zoom code it shares with the notebook
view. The SVG shown is exactly the one the export panel offers, so what the
teacher sees is what goes on the slide. A click on a node sends
its id ("n3") back as a trigger value; the app turns that into the
inspector's selection.
"""
from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from graphs.notebook import assets

HEIGHT = 680

CSS = """
.frame { position: relative; border: 1px solid var(--st-border-color, #ddd);
         border-radius: 0.5rem; overflow: hidden; background: var(--st-background-color); }
.frame:fullscreen { border-radius: 0; height: 100vh !important; }
.viewport { width: 100%; height: 100%; cursor: grab; touch-action: none; }
.viewport.dragging { cursor: grabbing; }
.viewport svg { transform-origin: 0 0; }
.tools { position: absolute; top: 0.5rem; right: 0.5rem; display: flex; gap: 0.25rem; z-index: 1; }
.tools button { font: inherit; min-width: 2rem; padding: 0.15rem 0.5rem; cursor: pointer;
                border: 1px solid var(--st-border-color, #ccc); border-radius: 0.35rem;
                background: var(--st-secondary-background-color, #f0f2f6); color: var(--st-text-color); }
g.node { cursor: pointer; }
g.node:hover > path, g.node:hover > polygon { stroke-width: 3; }
g.node.selected > path, g.node.selected > polygon { stroke: #ff4b4b; stroke-width: 4; }
"""

HTML = """
<div class="frame">
  <div class="tools">
    <button data-act="in" title="Zoom in">+</button>
    <button data-act="out" title="Zoom out">−</button>
    <button data-act="fit" title="Show the whole graph">Fit</button>
    <button data-act="actual" title="Readable size">1:1</button>
    <button data-act="full" title="Fullscreen">Fullscreen</button>
  </div>
  <div class="viewport" data-testid="graph-viewport"></div>
</div>
"""

# Zoom, pan and click-a-node are shared with the notebook view (one file,
# graphs/notebook/panzoom.js); below is only this component's glue.
JS = assets.text("panzoom.js") + """
export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const frame = parentElement.querySelector(".frame");
  const viewport = parentElement.querySelector(".viewport");
  frame.style.height = `${data.height}px`;
  const view = parentElement.__view || (parentElement.__view = { k: 1, x: 0, y: 0, svg: null });
  const panzoom = autogradPanZoom(viewport, view, (id) => setTriggerValue("clicked", id));

  if (viewport.__svg !== data.svg) {      // (re)draw; a different figure also resets the view
    viewport.innerHTML = data.svg;
    viewport.__svg = data.svg;
    panzoom.prepare();
    const paper = viewport.querySelector("svg g.graph > polygon");     // the theme's background
    frame.style.background = (paper && paper.getAttribute("fill")) || "";
    if (view.svg !== data.svg) {
      view.svg = data.svg;
      requestAnimationFrame(panzoom.natural);     // after layout, when the frame has its width
    }
  }
  panzoom.mark(data.selected);
  panzoom.apply();

  parentElement.querySelectorAll(".tools button").forEach((button) => {
    button.onclick = () => {
      const act = button.dataset.act;
      if (act === "in") panzoom.zoomCentre(1.25);
      if (act === "out") panzoom.zoomCentre(1 / 1.25);
      if (act === "fit") panzoom.fit();
      if (act === "actual") panzoom.natural();
      if (act === "full") {
        if (document.fullscreenElement) document.exitFullscreen(); else frame.requestFullscreen();
        setTimeout(panzoom.fit, 200);
      }
    };
  });
}
"""

_GRAPH = st.components.v2.component("autograd_graph", html=HTML, css=CSS, js=JS)


def graph_view(svg: str, selected: str | None, on_click: Callable[[str], None],
               key: str = "graph") -> None:
    """Show the SVG; `on_click(node_id)` runs (as a callback) when a node is clicked."""
    def clicked() -> None:
        node_id = st.session_state[key].get("clicked")
        if node_id:
            on_click(node_id)

    _GRAPH(key=key, data={"svg": svg, "selected": selected, "height": HEIGHT}, height=HEIGHT,
           on_clicked_change=clicked)


def fallback_view(dot: str, problem: str, dot_missing: bool) -> None:
    """Without the `dot` binary the browser lays the graph out itself. When
    `dot` exists but gave up (a layout time limit), the browser would not do
    better, so only the reason is shown."""
    if dot_missing:
        st.graphviz_chart(dot, width="stretch")
        st.info(f"Export needs Graphviz: {problem}")
    else:
        st.warning(f"The graph could not be drawn: {problem}")
