"""The graph inline in a notebook: `from graphs import explore`.

`explore(model, *inputs)` or `explore(program_text)` returns an `Explorer`,
which Jupyter, VS Code and Colab draw as an interactive, self-contained view
(zoom, pan, click a node for its value and gradient, a pass picker) and which
saves the figure with `.save("fig.svg" | ".png" | ".pdf")`. That page is
static (it survives nbconvert and a saved notebook); `view.widget()` is the
live view, where a click on a folded module opens it (the `notebook` extra,
anywidget, and a running kernel).
"""

from graphs.notebook.explorer import Explorer, explore

__all__ = ["Explorer", "explore"]
