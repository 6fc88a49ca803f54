"""`explore()`: a captured graph that draws itself in a notebook.

Two ways in, two places the code runs:

* `explore(model, *inputs)`: the user's own module or function on their own
  tensors. Those objects live in the notebook's kernel and cannot be sent to a
  worker, so the capture runs here, in the kernel, like any other cell: it is
  the user's code on the user's machine.
* `explore(program_text)`: a program as text, the same input the app takes.
  It runs where every program text runs, in a locked sandbox worker
  (`graphs.api.run_source`), so a notebook server that renders programs it
  was sent (a course's hub, a CI job) is no weaker than the hosted app.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from graphs.api import run_source
from graphs.notebook import page, passviews
from graphs.notebook.findings import findings_html, findings_lines
from graphs.notebook.progress import run_with_progress
from graphs.record.model import Finding, GraphRecord
from graphs.render import RenderOptions, folded_view, folding_state, to_dot
from graphs.render.export import export
from graphs.sandbox.config import LOCAL, front_end_default
from graphs.views import folding
from graphs.views.passes import pass_title
from graphs.worker.capture import capture

SAVE_FORMATS = ("svg", "png", "pdf")


@dataclasses.dataclass(repr=False)
class Explorer:
    """A record plus how to draw it. Jupyter, VS Code and Colab call
    `_repr_html_` (the interactive view, the findings listed under it); a
    front end that cannot show HTML takes `_repr_svg_` (the figure alone),
    and a terminal's IPython the `repr`: the graph's size and the findings."""

    record: GraphRecord
    options: RenderOptions = RenderOptions()
    # The most SVG one page embeds (graphs/notebook/passviews.py): passes past it are named, not drawn.
    figure_bytes: int = passviews.FIGURE_BYTES
    _svgs: dict[int | None, str] = dataclasses.field(default_factory=dict, repr=False, compare=False)

    @property
    def findings(self) -> list[Finding]:
        """Why the network may not learn (graphs.views.diagnosis): NaN or Inf
        origins, vanishing or exploding layers, dead ReLUs; empty when healthy."""
        return self.record.findings

    def __repr__(self) -> str:
        """The graph's size and one line per finding: what a front end without
        HTML prints (the dataclass's own repr would print the whole record)."""
        record = self.record
        kept = "kept pass" if len(record.passes) == 1 else "kept passes"
        head = f"<Explorer: {len(record.nodes)} nodes, {len(record.passes)} {kept}"
        lines = findings_lines(record.findings)
        if not lines:
            return head + ", no findings>"
        return "\n".join([head + f", {len(lines)} found>", *(f"  {line}" for line in lines)])

    def svg(self, pass_index: int | None = None) -> str:
        """The figure as SVG text for one pass (None: every node's last gradient)."""
        if pass_index not in self._svgs:
            options = dataclasses.replace(self.options, pass_index=pass_index)
            self._svgs[pass_index] = export(to_dot(self.record, options), "svg").decode("utf-8")
        return self._svgs[pass_index]

    def expand(self, *modules: str) -> Explorer:
        """The same graph with these module calls open as well (the keys a
        folded box's inspector shows: `model.blocks.3`, `model.cell@499`).
        A static page has no kernel to redraw on a click, so opening is a call;
        `widget()` makes the click the call."""
        return self._folded(self.open_modules() | self._known(modules))

    def collapse(self, *modules: str) -> Explorer:
        """The same graph with these module calls drawn as boxes again."""
        return self._folded(self.open_modules() - self._known(modules))

    def open_modules(self) -> frozenset[str]:
        """The module calls drawn open now (a large graph's first view opens some)."""
        found = folding_state(self.record, self.options)
        return frozenset() if found is None else found[1]

    def widget(self):
        """This view as a live notebook widget: a click on a folded box opens
        it in place, a click on an open module's label closes it (the kernel
        redraws with Graphviz and sends the new figure). Needs anywidget
        (`pip install "autograd-explorer[notebook]"`) and a running kernel;
        the Explorer itself stays the static, export-safe page."""
        try:
            from graphs.notebook.widget import ExplorerWidget
        except ModuleNotFoundError as err:
            if err.name != "anywidget":
                raise
            raise ModuleNotFoundError(
                'Explorer.widget() needs anywidget: pip install "autograd-explorer[notebook]"', name=err.name
            ) from None
        return ExplorerWidget(self)

    def _known(self, modules: tuple[str, ...]) -> frozenset[str]:
        """The keys asked for, checked: a typo must not silently draw the same graph."""
        known = folding.all_keys(self.record, self.record.shown_nodes(self.options.pass_index))
        unknown = [key for key in modules if key not in known]
        if unknown:
            raise ValueError(
                f"no module call {unknown[0]!r} in this graph; "
                "a folded box's inspector shows its key (like 'layers.1' or 'cell@499')"
            )
        return frozenset(modules)

    def _folded(self, keys: frozenset[str]) -> Explorer:
        options = dataclasses.replace(self.options, folding=frozenset(keys))
        return Explorer(self.record, options, self.figure_bytes)

    def _repr_html_(self) -> str:
        return self.page()

    def page(self, live: bool = False) -> str:
        """The HTML view: every kept pass's figure the page has room for
        (graphs/notebook/passviews.py), the inspector's data, the findings
        and, unless `live` (the widget mounts it), the script that runs it."""
        chosen = self.options.pass_index
        if chosen is None:
            embedded = passviews.embed(passviews.pass_views(self.record), self.svg, self.figure_bytes)
        else:  # the caller chose one pass: draw only that (svg() checks it exists)
            svg = self.svg(chosen)
            only = [(pass_title(self.record.passes[chosen]), chosen)]
            embedded = passviews.Embedded(only, [svg], [], self.figure_bytes)
        folded = [
            folded_view(self.record, dataclasses.replace(self.options, pass_index=index))
            for _, index in embedded.views
        ]
        return page.render(
            self.record,
            embedded.views,
            embedded.svgs,
            self.options.digits,
            [f for f in folded if f],
            live,
            embedded,
            findings_html(self.record, folded[0]),  # under the first view, the one shown
        )

    def _repr_svg_(self) -> str:
        return self.svg(self.options.pass_index)

    def save(self, path: str | Path, dpi: int | None = None) -> Path:
        """Write the figure; the format is the file's suffix (.svg, .png, .pdf).
        `dpi` applies to PNG (default: fits a 1920x1080 slide)."""
        path = Path(path)
        fmt = path.suffix.lower().lstrip(".")
        if fmt not in SAVE_FORMATS:
            raise ValueError(
                f"cannot save {path.name!r}: the suffix must be one of "
                f"{', '.join('.' + name for name in SAVE_FORMATS)}"
            )
        path.write_bytes(export(to_dot(self.record, self.options), fmt, dpi=dpi))
        return path


def _in_kernel() -> bool:
    """True in a notebook's kernel, where a cell's output can show the run's progress."""
    try:
        from IPython import get_ipython
    except ModuleNotFoundError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def explore(target, *inputs, **options) -> Explorer:
    """Capture a graph and return a view of it that a notebook shows inline.

    `explore(model, x)` runs `model(x)` (any `nn.Module` or callable) and its
    backward pass here; `explore("w = torch.ones(2, requires_grad=True) ...")`
    runs program text in a sandbox worker. Keyword arguments are
    `RenderOptions` fields: `theme="slides"`, `rankdir="LR"`, `digits=2`,
    `show_values=False`, `pass_index=0`, `overlay="grad_norm"` (every node and
    box filled by its gradient norm, with a legend), ...
    """
    render_options = RenderOptions(**options)
    if isinstance(target, str):
        if inputs:
            raise TypeError("explore(program_text) takes no inputs: the program makes its own tensors")
        # A notebook's kernel is the user's own: generous limits unless
        # AUTOGRAD_EXPLORER_PROFILE says otherwise (a course's shared hub sets hosted).
        with front_end_default(LOCAL):
            record = run_with_progress(target) if _in_kernel() else run_source(target)
    elif callable(target):
        record = capture(target, *inputs)
    else:
        raise TypeError(f"explore() takes a module, a function or program text, not {type(target).__name__}")
    return Explorer(record, render_options)
