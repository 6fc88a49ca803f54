// Zoom (wheel, buttons), pan (drag) and click-a-node for one Graphviz SVG in a
// viewport element. One file for both views of a graph: the app's Streamlit
// component (components/graph_view.py) and the notebook view (view.js) put
// their own glue after it.
//
// `view` ({k, x, y}) belongs to the caller, so a redraw of the same figure can
// keep the reader's zoom. A mouse drags to pan and wheels to zoom; on a touch
// screen two fingers pan and pinch. What one finger does is the viewport's
// CSS `touch-action`: `none` (notebook) pans the graph, `pan-y` (the app on a
// phone) leaves vertical swipes to the page, which then cancels the pointer. `onNode(id)` gets the record's node id ("n3") of a
// clicked node (or a folded module's box "m3", or "cluster_m3" for a click on a cluster's label): the text of its <title>, which Graphviz sets to the node's
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
  // Put SVG text in the viewport, then `prepare` it. What keeps script out is the
  // server: every SVG comes from graphs.render.export, cut down to graphs/render/svgsafe.py's
  // allow-list (no script, event handler, link or foreign content). Importing alone
  // would not (an `on*` handler runs once the node is in the page), so this makes sure
  // the browser builds the very tree that allow-list checked: it parses the text as XML
  // (DOMParser, "image/svg+xml"), as the server did, and imports the parsed <svg>.
  // innerHTML would read it with the HTML parser, whose differences from XML are where
  // sanitizer bypasses live. Text the XML parser refuses is not shown at all.
  const draw = (text) => {
    const parsed = new DOMParser().parseFromString(text, "image/svg+xml");
    const root = parsed.documentElement;
    const fine = root.namespaceURI === "http://www.w3.org/2000/svg" && root.localName === "svg"
      && !parsed.getElementsByTagName("parsererror").length;
    viewport.replaceChildren(...(fine ? [document.importNode(root, true)] : []));
    if (fine) prepare();
  };
  const place = (k) => {
    const { w, h } = size();
    view.k = k;
    view.x = (viewport.clientWidth - w * k) / 2;
    view.y = Math.max(8, (viewport.clientHeight - h * k) / 2);
    apply();
  };
  const natural = () => place(Math.min(1, (viewport.clientWidth - 16) / size().w));
  const fitScale = () => {
    const { w, h } = size();
    return Math.min(2, (viewport.clientWidth - 16) / w, (viewport.clientHeight - 16) / h);
  };
  const fit = () => place(fitScale());
  // The first view: the whole graph when it stays readable so, else its top at reading size.
  const first = () => (fitScale() >= 0.45 ? fit() : natural());
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
  const pointers = new Map();        // pointerId -> {x, y}: fingers (or the mouse) down
  let drag = null, pinch = null;
  const pinchOf = () => {
    const [a, b] = [...pointers.values()];
    return { d: Math.hypot(a.x - b.x, a.y - b.y), x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
  };
  viewport.onpointerdown = (e) => {
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (pointers.size === 2) {
      drag = null;
      pinch = pinchOf();
    } else if (pointers.size === 1) {
      drag = { x: e.clientX, y: e.clientY, moved: false };
    }
    viewport.setPointerCapture(e.pointerId);
  };
  viewport.onpointermove = (e) => {
    if (!pointers.has(e.pointerId)) return;
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (pinch && pointers.size === 2) {
      const now = pinchOf(), box = viewport.getBoundingClientRect();
      view.x += now.x - pinch.x; view.y += now.y - pinch.y;
      zoom(now.d / Math.max(pinch.d, 1), now.x - box.left, now.y - box.top);
      pinch = now;
      return;
    }
    if (!drag) return;
    const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) < 4) return;
    drag.moved = true;
    viewport.classList.add("dragging");
    view.x += dx; view.y += dy; drag.x = e.clientX; drag.y = e.clientY;
    apply();
  };
  const release = (e) => {
    pointers.delete(e.pointerId);
    if (pointers.size < 2) pinch = null;
    viewport.classList.remove("dragging");
  };
  viewport.onpointercancel = (e) => { release(e); drag = null; };     // the page took the swipe
  viewport.onpointerup = (e) => {
    const wasClick = drag && !drag.moved && pointers.size === 1;
    release(e);
    drag = null;
    if (!wasClick) return;
    const scope = viewport.getRootNode();   // a shadow root inside Streamlit, else the document
    const hit = (scope.elementFromPoint ? scope : document).elementFromPoint(e.clientX, e.clientY);
    // A node, or the label of a cluster (a folded view's expanded module: "cluster_m3").
    const g = hit && (hit.closest("g.node") || (hit.matches("text") && hit.closest("g.cluster")));
    if (g) onNode(nodeId(g));
  };
  viewport.onwheel = (e) => {
    e.preventDefault();
    const box = viewport.getBoundingClientRect();
    zoom(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX - box.left, e.clientY - box.top);
  };
  viewport.ondblclick = fit;
  return { apply, prepare, draw, natural, fit, first, zoomCentre, mark };
}
