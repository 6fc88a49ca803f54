// The notebook view's glue: after panzoom.js, inside the output's own root
// element. Everything it shows comes from the JSON island the Python side
// wrote (graphs/notebook/page.py); program text reaches the page only through
// textContent, never as markup.
//
// Two hosts mount it. The static page (view.html) calls `autogradMountStatic`
// from its own script: no kernel, so a folded module names the call that
// opens or closes it. The live widget (widget.js) passes `live`:
// {state, placed, send}, where `send(action, key)` asks the kernel to
// "expand" or "collapse" a module call, and `state` ({k, x, y, selected,
// view}) outlives the redraw that follows, so the reader's zoom and chosen
// pass survive it (`placed`: it has been positioned once already).
function autogradView(root, live) {
  if (root.dataset.aeReady) return;            // a notebook may re-run the script
  root.dataset.aeReady = "1";
  const data = JSON.parse(root.querySelector("script.ae-data").textContent);
  const viewport = root.querySelector(".ae-viewport");
  const inspector = root.querySelector(".ae-inspector");
  const picker = root.querySelector("select.ae-pass");
  const state = live ? live.state : { k: 1, x: 0, y: 0, selected: null, view: 0 };
  const boxes = data.boxes || {}, clusters = data.clusters || {}, placed = data.placed || {};
  // The first view's SVG sits in the viewport as plain markup (what a
  // viewer without JavaScript shows); the other passes wait in templates.
  // Both are the page's own markup, cloned, never re-parsed from text; their
  // SVG went through graphs/render/svgsafe.py's allow-list before the page
  // was written (see widget.js).
  const figures = [document.createDocumentFragment()];
  viewport.querySelectorAll(":scope > svg").forEach((svg) => figures[0].append(svg.cloneNode(true)));
  root.querySelectorAll("template.ae-figure").forEach((t) => figures.push(t.content));

  const el = (tag, text, cls) => {
    const made = document.createElement(tag);
    if (text !== undefined) made.textContent = text;
    if (cls) made.className = cls;
    return made;
  };
  // A tensor as the core formatted it: entry rows, or a summary line.
  const tensor = (shown) => {
    if (shown.rows) {
      const table = el("table", undefined, "ae-matrix");
      shown.rows.forEach((row) => {
        const tr = table.insertRow();
        row.forEach((cell) => { tr.insertCell().textContent = cell; });
      });
      return table;
    }
    return el("span", shown.summary || "—", "ae-summary");
  };
  const heading = (id, text) => {
    state.selected = id;
    panzoom.mark(id);
    inspector.replaceChildren(el("h4", text));
  };
  // The kernel's job, asked for (live) or named as the call to run (static).
  const action = (verb, key) => {
    if (live) {
      root.classList.add("ae-busy");
      live.send(verb, key);
      inspector.append(el("div", verb === "expand" ? `opening ${key} …` : `closing ${key} …`, "ae-caption"));
    } else {
      inspector.append(el("div", verb === "expand" ? "to open it, run" : "to close it, run", "ae-caption"),
                       el("code", `view.${verb}(${JSON.stringify(key)})`, "ae-open"));
    }
  };
  // A folded box: what it stands for; opening it redraws the graph. It folds
  // module calls (its kind: their class) or iterations of one of the program's
  // loops, whose keys start "loop@L" (graphs/record/loops.py's PATH_PREFIX;
  // its kind: "for loop, line 12: iterations 0–398"), worded as the figure's
  // own tooltips word them (graphs/render/boxes.py).
  const inspectBox = (id) => {
    const box = boxes[id];
    heading(id, box.count > 1 ? `${box.title}  ×${box.count}` : box.title);
    const facts = el("dl");
    facts.append(el("dt", box.key.startsWith("loop@L") ? "loop" : "module"), el("dd", box.kind));
    inspector.append(facts);
    action("expand", box.key);
  };
  // An open module's cluster label: a click closes it back into a box.
  const inspectCluster = (id) => {
    heading(id, clusters[id].label);
    action("collapse", clusters[id].key);
  };
  // The open modules a node was made in, innermost first, each with a button that closes it.
  const madeInside = (id) => {
    const list = el("div", undefined, "ae-modules");
    for (let at = placed[id]; at && clusters[at]; at = clusters[at].parent) {
      const key = clusters[at].key, button = el("button", `collapse ${key}`);
      button.type = "button";
      button.onclick = () => {
        root.classList.add("ae-busy");
        live.send("collapse", key);
      };
      list.append(button);
    }
    if (list.childElementCount) inspector.append(el("div", "made inside", "ae-caption"), list);
  };
  const inspect = (id) => {
    if (boxes[id]) return inspectBox(id);
    if (clusters[id]) return inspectCluster(id);
    const node = data.nodes[id];
    if (!node) return;
    heading(id, node.title);
    const facts = el("dl");
    const step = node.steps[state.view];
    [["name", node.name || "—"], ["op", node.op], ["shape", node.shape], ["dtype", node.dtype],
     ["backward step", step === null ? "—" : String(step)]].forEach(([term, text]) => {
      facts.append(el("dt", term), el("dd", text));
    });
    inspector.append(facts);
    const value = el("div", undefined, "ae-value");
    value.append(tensor(node.value));
    const grad = el("div", undefined, "ae-grad");
    grad.append(node.requires_grad ? tensor(node.grads[state.view]) : el("span", "does not require grad"));
    const which = data.views[state.view];
    inspector.append(el("div", "value", "ae-caption"), value,
                     el("div", which ? `gradient (${which})` : "gradient", "ae-caption"), grad);
    if (live) madeInside(id);
  };
  const draw = (index) => {
    state.view = index;
    viewport.replaceChildren(figures[index].cloneNode(true));
    panzoom.prepare();
    panzoom.apply();
    if (state.selected) inspect(state.selected);
  };

  const panzoom = autogradPanZoom(viewport, state, inspect);
  const first = live && live.placed && state.view < figures.length ? state.view : 0;
  if (state.selected && !data.nodes[state.selected]) state.selected = null;   // a box just opened
  if (picker) picker.value = String(first);
  draw(first);
  const tall = viewport.querySelector("svg").viewBox.baseVal.height * 4 / 3;
  viewport.style.height = `${Math.max(220, Math.min(600, tall + 24))}px`;
  if (!(live && live.placed)) requestAnimationFrame(panzoom.natural);   // after layout, at the output's width
  if (picker) picker.onchange = () => draw(Number(picker.value));
  root.querySelectorAll(".ae-tools button").forEach((button) => {
    button.onclick = () => {
      const act = button.dataset.act;
      if (act === "in") panzoom.zoomCentre(1.25);
      if (act === "out") panzoom.zoomCentre(1 / 1.25);
      if (act === "fit") panzoom.fit();
    };
  });
}

// The static page's script: mount the output it sits in (or, where a front
// end runs scripts without `currentScript`, every view on the page).
function autogradMountStatic(script) {
  const own = script && script.closest(".ae-explorer");
  if (own) autogradView(own);
  else document.querySelectorAll(".ae-explorer").forEach((root) => autogradView(root));
}
