// Step through a backward pass: each step is a CSS rule set (made by graphs/render/player.py)
// applied to one SVG. Shared by the app's player component and the offline HTML player.
// `jump` ({index, label}, or null) shows a button going to that step: where NaN first appeared.
function autogradPlayer(root, steps, onStep, jump) {
  const style = root.querySelector("style.ae-step") || root.appendChild(document.createElement("style"));
  style.className = "ae-step";
  const scrub = root.querySelector(".ae-scrub");
  const caption = root.querySelector(".ae-caption");
  const play = root.querySelector('[data-act="play"]');
  const state = root.__player || (root.__player = { index: 0, timer: null });
  scrub.max = String(Math.max(steps.length - 1, 0));

  function show(index, fromUser) {
    state.index = Math.max(0, Math.min(index, steps.length - 1));
    const step = steps[state.index] || { css: "", caption: "" };
    style.textContent = step.css;
    scrub.value = String(state.index);
    caption.textContent = step.caption;
    root.dataset.step = String(state.index);
    if (fromUser && onStep) onStep(state.index);
  }
  function pause() {
    if (state.timer) clearInterval(state.timer);
    state.timer = null;
    play.textContent = "▶ Play";
  }
  function toggle() {
    if (state.timer) { pause(); if (onStep) onStep(state.index); return; }
    if (state.index >= steps.length - 1) show(0, false);
    play.textContent = "⏸ Pause";
    state.timer = setInterval(() => {
      if (state.index >= steps.length - 1) { pause(); if (onStep) onStep(state.index); return; }
      show(state.index + 1, false);
    }, 900);
  }
  root.querySelector('[data-act="prev"]').onclick = () => { pause(); show(state.index - 1, true); };
  root.querySelector('[data-act="next"]').onclick = () => { pause(); show(state.index + 1, true); };
  play.onclick = toggle;
  const jumper = root.querySelector('[data-act="jump"]');
  jumper.hidden = !jump;
  jumper.textContent = jump ? jump.label : "";
  jumper.onclick = () => { pause(); if (jump) show(jump.index, true); };
  scrub.oninput = () => { pause(); show(Number(scrub.value), true); };
  root.tabIndex = 0;
  root.onkeydown = (event) => {
    if (event.key === "ArrowRight") { pause(); show(state.index + 1, true); }
    else if (event.key === "ArrowLeft") { pause(); show(state.index - 1, true); }
    else if (event.key === " ") toggle();
    else return;
    event.preventDefault();
  };
  show(state.index, false);
  return { show, pause, toggle };
}
