// The app's graph component: glue after panzoom.js (zoom, pan, click a node).
//
// The frame fills the window below its own top edge (at least MIN_HEIGHT),
// so the whole figure is on the first screen; on a phone it takes most of
// the screen and leaves a strip to scroll the page by. The frame tells
// Python its size (state "box"), and whether it is on the projector (state
// "projector"): Python then sends the layout that fills that box (direction,
// wrapping; slides theme on the projector), which is drawn fitted.
const MIN_HEIGHT = 380;
const PHONE_WIDTH = 640;

// The frame lives in a shadow root, where document.fullscreenElement names the host.
const onProjector = (frame) => frame.matches(":fullscreen");

function frameHeight(frame) {
  if (onProjector(frame)) return window.innerHeight;
  const top = frame.getBoundingClientRect().top + window.scrollY;
  if (window.innerWidth < PHONE_WIDTH) return Math.max(MIN_HEIGHT, Math.round(window.innerHeight * 0.68));
  return Math.max(MIN_HEIGHT, window.innerHeight - top - 16);
}

export default function (component) {
  const { data, parentElement, setStateValue, setTriggerValue } = component;
  const frame = parentElement.querySelector(".frame");
  const viewport = parentElement.querySelector(".viewport");
  const view = parentElement.__view || (parentElement.__view = { k: 1, x: 0, y: 0, svg: null, sent: null });
  const panzoom = autogradPanZoom(viewport, view, (id) => setTriggerValue("clicked", id));
  parentElement.querySelector(".hint").textContent = data.hint;
  parentElement.querySelectorAll(".tools button").forEach((button) => {
    const label = data.labels[button.dataset.act];
    if (label) [button.textContent, button.title] = label;
  });

  // Tell Python the box to lay the figure out for, when it changed enough to matter.
  const report = () => {
    const projector = onProjector(frame);
    const box = projector ? [window.screen.width, window.screen.height]
      : [viewport.clientWidth, viewport.clientHeight];
    const sent = view.sent;
    const moved = !sent || sent.projector !== projector
      || Math.abs(box[0] - sent.box[0]) > 0.08 * sent.box[0] || Math.abs(box[1] - sent.box[1]) > 0.08 * sent.box[1];
    if (box[0] > 0 && moved) {
      view.sent = { box, projector };
      setStateValue("view", view.sent);
    }
  };
  const resize = () => {
    frame.style.height = `${frameHeight(frame)}px`;
    report();
  };
  resize();

  if (viewport.__svg !== data.svg) {      // (re)draw; a different figure also resets the view
    panzoom.draw(data.svg);      // parsed as XML, not HTML: see panzoom.js
    viewport.__svg = data.svg;
    const paper = viewport.querySelector("svg g.graph > polygon");     // the theme's background
    frame.style.background = (paper && paper.getAttribute("fill")) || "";
    if (view.svg !== data.svg) {
      view.svg = data.svg;
      requestAnimationFrame(panzoom.first);     // after layout, when the frame has its size
    }
  }
  panzoom.mark(data.selected);
  panzoom.apply();

  if (!parentElement.__listening) {       // once per mounted component, not per update
    parentElement.__listening = true;
    window.addEventListener("resize", () => { resize(); panzoom.fit(); });
    // Entering or leaving the projector: fit what is there now (no blank frame
    // while Python lays out the figure for the new box), then ask for that layout.
    document.addEventListener("fullscreenchange", () => {
      requestAnimationFrame(() => { resize(); panzoom.fit(); });
    });
    // Esc leaves the projector even where the browser passes the key to the page.
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && onProjector(frame)) document.exitFullscreen();
    });
  }

  parentElement.querySelectorAll(".tools button").forEach((button) => {
    button.onclick = () => {
      const act = button.dataset.act;
      if (act === "in") panzoom.zoomCentre(1.25);
      if (act === "out") panzoom.zoomCentre(1 / 1.25);
      if (act === "fit") panzoom.fit();
      if (act === "actual") panzoom.natural();
      if (act === "projector") {
        if (onProjector(frame)) document.exitFullscreen(); else frame.requestFullscreen();
      }
    };
  });
}
