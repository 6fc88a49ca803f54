"""The graph itself: the core's SVG, large, with zoom, pan, fullscreen and
click-to-select.

It is a `st.components.v2` component with a few lines of inline JavaScript
(no build step). The SVG shown is exactly the one the export panel offers,
so what the teacher sees is what goes on the slide. A click on a node sends
its id ("n3") back as a trigger value; the app turns that into the
inspector's selection.
"""
from __future__ import annotations

from collections.abc import Callable

import streamlit as st

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

JS = """
export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const frame = parentElement.querySelector(".frame");
  const viewport = parentElement.querySelector(".viewport");
  frame.style.height = `${data.height}px`;
  const view = parentElement.__view || (parentElement.__view = { k: 1, x: 0, y: 0, svg: null });
  const nodeId = (g) => (g.id && !/^node\\d+$/.test(g.id)) ? g.id : g.querySelector("title").textContent;
  const apply = () => {
    const svg = viewport.querySelector("svg");
    if (svg) svg.style.transform = `translate(${view.x}px, ${view.y}px) scale(${view.k})`;
  };
  // Graphviz sizes the SVG in points; drawn at that size its labels read like
  // body text. The first view shows it so (shrunk only if wider than the
  // frame), top-centred; "Fit" shows the whole graph however small.
  const size = () => {
    const box = viewport.querySelector("svg").viewBox.baseVal;
    return { w: box.width * 4 / 3, h: box.height * 4 / 3 };
  };
  const place = (k) => {
    const { w, h } = size();
    view.k = k;
    view.x = (viewport.clientWidth - w * k) / 2;
    view.y = Math.max(8, (viewport.clientHeight - h * k) / 2);
    apply();
  };
  const natural = () => place(Math.min(1, (viewport.clientWidth - 16) / size().w));
  const fit = () => {
    const { w, h } = size();
    place(Math.min(2, (viewport.clientWidth - 16) / w, (viewport.clientHeight - 16) / h));
  };
  const zoom = (factor, cx, cy) => {
    const k = Math.min(20, Math.max(0.05, view.k * factor));
    view.x = cx - (cx - view.x) * (k / view.k);
    view.y = cy - (cy - view.y) * (k / view.k);
    view.k = k;
    apply();
  };

  if (viewport.__svg !== data.svg) {      // (re)draw; a different figure also resets the view
    viewport.innerHTML = data.svg;
    viewport.__svg = data.svg;
    const svg = viewport.querySelector("svg");
    const { w, h } = size();
    svg.setAttribute("width", w);
    svg.setAttribute("height", h);
    const paper = svg.querySelector("g.graph > polygon");     // the theme's background
    frame.style.background = (paper && paper.getAttribute("fill")) || "";
    if (view.svg !== data.svg) {
      view.svg = data.svg;
      requestAnimationFrame(natural);     // after layout, when the frame has its width
    }
  }
  viewport.querySelectorAll("g.node").forEach((g) => g.classList.toggle("selected", nodeId(g) === data.selected));
  apply();

  let drag = null;
  viewport.onpointerdown = (e) => {
    drag = { x: e.clientX, y: e.clientY, moved: false };
    viewport.setPointerCapture(e.pointerId);
  };
  viewport.onpointermove = (e) => {
    if (!drag) return;
    const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) < 4) return;
    drag.moved = true;
    viewport.classList.add("dragging");
    view.x += dx; view.y += dy; drag.x = e.clientX; drag.y = e.clientY;
    apply();
  };
  viewport.onpointerup = (e) => {
    const wasClick = drag && !drag.moved;
    drag = null;
    viewport.classList.remove("dragging");
    if (!wasClick) return;
    const hit = parentElement.elementFromPoint
      ? parentElement.elementFromPoint(e.clientX, e.clientY) : document.elementFromPoint(e.clientX, e.clientY);
    const g = hit && hit.closest("g.node");
    if (g) setTriggerValue("clicked", nodeId(g));
  };
  viewport.onwheel = (e) => {
    e.preventDefault();
    const box = viewport.getBoundingClientRect();
    zoom(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX - box.left, e.clientY - box.top);
  };
  viewport.ondblclick = fit;
  parentElement.querySelectorAll(".tools button").forEach((button) => {
    button.onclick = () => {
      const act = button.dataset.act;
      const cx = viewport.clientWidth / 2, cy = viewport.clientHeight / 2;
      if (act === "in") zoom(1.25, cx, cy);
      if (act === "out") zoom(1 / 1.25, cx, cy);
      if (act === "fit") fit();
      if (act === "actual") natural();
      if (act === "full") {
        if (document.fullscreenElement) document.exitFullscreen(); else frame.requestFullscreen();
        setTimeout(fit, 200);
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
