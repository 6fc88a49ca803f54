// The notebook view's glue: after panzoom.js, inside the output's own root
// element. Everything it shows comes from the JSON island the Python side
// wrote (graphs/notebook/page.py); program text reaches the page only through
// textContent, never as markup.
(function () {
  function mount(root) {
    if (root.dataset.aeReady) return;            // a notebook may re-run the script
    root.dataset.aeReady = "1";
    const data = JSON.parse(root.querySelector("script.ae-data").textContent);
    const viewport = root.querySelector(".ae-viewport");
    const inspector = root.querySelector(".ae-inspector");
    const picker = root.querySelector("select.ae-pass");
    const state = { k: 1, x: 0, y: 0, selected: null, view: 0 };
    // The first view's SVG sits in the viewport as plain markup (what a
    // viewer without JavaScript shows); the other passes wait in templates.
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
    // A folded module's box: what it stands for, and the call that opens it
    // (the page is static: redrawing is the kernel's job).
    const inspectBox = (id) => {
      const box = data.boxes[id];
      state.selected = id;
      panzoom.mark(id);
      inspector.replaceChildren();
      inspector.append(el("h4", box.count > 1 ? `${box.title}  ×${box.count}` : box.title));
      const facts = el("dl");
      facts.append(el("dt", "module"), el("dd", box.kind));
      inspector.append(facts, el("div", "to open it, run", "ae-caption"),
                       el("code", `view.expand(${JSON.stringify(box.key)})`, "ae-open"));
    };
    const inspect = (id) => {
      if (data.boxes && data.boxes[id]) return inspectBox(id);
      const node = data.nodes[id];
      if (!node) return;
      state.selected = id;
      panzoom.mark(id);
      inspector.replaceChildren();
      inspector.append(el("h4", node.title));
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
    };
    const draw = (index) => {
      state.view = index;
      viewport.replaceChildren(figures[index].cloneNode(true));
      panzoom.prepare();
      panzoom.apply();
      if (state.selected) inspect(state.selected);
    };

    const panzoom = autogradPanZoom(viewport, state, inspect);
    draw(0);
    const tall = viewport.querySelector("svg").viewBox.baseVal.height * 4 / 3;
    viewport.style.height = `${Math.max(220, Math.min(600, tall + 24))}px`;
    requestAnimationFrame(panzoom.natural);        // after layout, when the output has its width
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

  const own = document.currentScript && document.currentScript.closest(".ae-explorer");
  if (own) mount(own);
  else document.querySelectorAll(".ae-explorer").forEach(mount);
})();
