// The app's player component: glue after panzoom.js and player.js (graphs/notebook/).
//
// A new SVG (another program, pass or folding) is drawn fitted and the player
// restarts at step 0; the same SVG keeps the zoom and the step across reruns.
// A step the user takes goes back to Python as the trigger value "step" (the node's id).
// `data.jump` is the NaN origin's step and its button's label; `data.goto` ({index, serial})
// is a request from the findings panel to show a step, followed once per serial.
export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const root = parentElement.querySelector(".ae-player");
  const frame = root.querySelector(".ae-frame");
  const viewport = root.querySelector(".ae-viewport");
  frame.style.height = `${data.height}px`;
  const view = parentElement.__view || (parentElement.__view = { k: 1, x: 0, y: 0, svg: null });
  const panzoom = autogradPanZoom(viewport, view, () => {});
  if (viewport.__svg !== data.svg) {
    panzoom.draw(data.svg);      // parsed as XML, not HTML: see panzoom.js
    viewport.__svg = data.svg;
    if (root.__player) root.__player.index = 0;
    if (view.svg !== data.svg) { view.svg = data.svg; requestAnimationFrame(panzoom.natural); }
  }
  panzoom.apply();
  const player = autogradPlayer(
    root, data.steps, (index) => setTriggerValue("step", data.steps[index].node || ""), data.jump
  );
  if (data.goto && root.__goto !== data.goto.serial) {
    root.__goto = data.goto.serial;
    player.show(data.goto.index, false);
  }
}
