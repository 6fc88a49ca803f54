// The live widget's front end (anywidget), after panzoom.js and view.js in
// one module. The page comes from the kernel as HTML the core wrote (program
// text already escaped there, as in the static page); this mounts view.js on
// it, sends clicked module keys back, and on every new page swaps it in with
// the same pan/zoom state. `error` is one line shown above the figure.
function render({ model, el }) {
  const state = { k: 1, x: 0, y: 0, selected: null, view: 0 };
  const error = document.createElement("div");
  error.className = "ae-error";
  error.setAttribute("role", "alert");
  const frame = document.createElement("div");
  el.replaceChildren(error, frame);
  let placed = false;
  const send = (action, key) => model.send({ action, key });
  const draw = () => {
    // innerHTML of the page graphs/notebook/page.py wrote: HTML (picker, inspector,
    // templates), so it takes the HTML parser. Its SVG came through graphs.render.export, cut
    // down to graphs/render/svgsafe.py's allow-list (no script, handler or link), its
    // program text is escaped, and the live page holds no <script> (which innerHTML
    // would not run anyway).
    frame.innerHTML = model.get("page");
    autogradView(frame.querySelector(".ae-explorer"), { state, placed, send });
    placed = true;
  };
  const showError = () => {
    error.textContent = model.get("error");
    error.hidden = !model.get("error");
    const root = frame.querySelector(".ae-explorer");
    if (root && model.get("error")) root.classList.remove("ae-busy");
  };
  model.on("change:page", draw);
  model.on("change:error", showError);
  draw();
  showError();
  return () => {
    model.off("change:page", draw);
    model.off("change:error", showError);
  };
}

export default { render };
