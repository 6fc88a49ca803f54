// Zoom (wheel, buttons), pan (drag) and click-a-node for one Graphviz SVG in a
// viewport element. One file for both views of a graph: the app's Streamlit
// component (components/graph_view.py) and the notebook view (view.js) put
// their own glue after it.
//
// `view` ({k, x, y}) belongs to the caller, so a redraw of the same figure can
// keep the reader's zoom. `onNode(id)` gets the record's node id ("n3") of a
// clicked node: the text of its <title>, which Graphviz sets to the node's
// name whatever the element ids are.
function autogradPanZoom(viewport, view, onNode) {
  const svg = () => viewport.querySelector("svg");
  const nodeId = (g) => g.querySelector("title").textContent;
  const apply = () => {
    const figure = svg();
    if (figure) figure.style.transform = `translate(${view.x}px, ${view.y}px) scale(${view.k})`;
  };
  // Graphviz sizes the SVG in points; drawn at that size its labels read like
  // body text. The first view shows it so (shrunk only if wider than the
  // frame), top-centred; "fit" shows the whole graph however small.
  const size = () => {
    const box = svg().viewBox.baseVal;
    return { w: box.width * 4 / 3, h: box.height * 4 / 3 };
  };
  const prepare = () => {
    const figure = svg(), { w, h } = size();
    figure.setAttribute("width", w);
    figure.setAttribute("height", h);
    figure.style.transformOrigin = "0 0";
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
  const zoomCentre = (factor) => zoom(factor, viewport.clientWidth / 2, viewport.clientHeight / 2);
  const mark = (id) => viewport.querySelectorAll("g.node")
    .forEach((g) => g.classList.toggle("selected", nodeId(g) === id));

  // Handlers are properties, not listeners: calling this again on the same
  // viewport (the component re-runs on every update) replaces them.
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
    const scope = viewport.getRootNode();   // a shadow root inside Streamlit, else the document
    const hit = (scope.elementFromPoint ? scope : document).elementFromPoint(e.clientX, e.clientY);
    const g = hit && hit.closest("g.node");
    if (g) onNode(nodeId(g));
  };
  viewport.onwheel = (e) => {
    e.preventDefault();
    const box = viewport.getBoundingClientRect();
    zoom(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX - box.left, e.clientY - box.top);
  };
  viewport.ondblclick = fit;
  return { apply, prepare, natural, fit, zoomCentre, mark };
}
