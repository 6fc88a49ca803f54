"""The core behind the app's cache (`components.cache`): program text -> record -> figure -> bytes.

Every step is keyed by plain values (program text, options, DOT text), so a
rerun with an unchanged program and unchanged options is a cache hit and
never runs torch or Graphviz again. Errors are returned, not raised, so an
error message is cached too and a bad program is not re-run on every rerun.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from components import guard
from components.cache import cached
from components.display import ViewOptions
from components.i18n import _
from graphs.api import Progress, Stop, classic_source, run_source
from graphs.errors import ProgramError
from graphs.record import decode
from graphs.record.model import GraphRecord
from graphs.render import Folding, RenderOptions, draw, folding_of, plan_for
from graphs.render.export import DotMissing, ExportError, export
from graphs.render.fit import Layout, Sized, band_counts, best, svg_size, wrap
from graphs.sandbox.config import from_environment

# The most boxes `dot` is asked to lay out for a page: the largest real model
# unfolded (the 500-step RNN) has 3,500, and a 40,000-op chain held `dot` for a minute.
MAX_DRAWN_NODES = 12_000
# The largest SVG a page is sent: the largest real drawing (the unfolded RNN) is 7 MB.
VIEW_OUTPUT_MB = 16
# What any cache entry costs besides its contents (keys, tuples, the entry itself).
OVERHEAD = 1_000
# What one id held in a folded view costs, roughly (the string, and its slot in a tuple or dict).
ID_BYTES = 100
# No per-call spinners: a spinner is an element of its own, present only when
# the cache misses, so it shifted every element after it and the browser
# re-mounted the editor (losing focus and undo history) and the graph (losing
# the zoom). Streamlit's running indicator in the corner still shows.
# The page waits for this layout; a graph that needs longer gets a message
# (and its DOT file) instead of a page that hangs for the export's full minute.
VIEW_LAYOUT_S = 20.0
# The graph pane before the browser has said how big it is (a laptop's), and a slide.
DEFAULT_BOX = (900, 720)
SLIDE_BOX = (1920, 1080)


@dataclass(frozen=True)
class Run:
    """A program's outcome: its record, or the one-line error and its line."""

    record: GraphRecord | None = None
    error: str | None = None
    line: int | None = None
    prints: tuple[str, ...] = ()  # what a failing program printed before it failed
    partial: GraphRecord | None = None  # a failing program's graph up to the failing line
    stopped: bool = False  # the user stopped it: `partial` is the graph of what ran


@dataclass(frozen=True)
class Figure:
    """What the graph view shows: the DOT text, and its SVG when `dot` could
    lay it out (`problem` says why not otherwise)."""

    dot: str
    svg: str | None
    problem: str | None = None
    dot_missing: bool = False
    rankdir: str = "TB"
    bands: int = 1
    # The folding it is drawn with (`folding`), the very object the panels that
    # name its boxes read; None for the classic view, which draws no modules.
    folding: Folding | None = None
    # What it was drawn from (None: drawn elsewhere), to draw it again with other options.
    source: str | None = None
    options: ViewOptions | None = None


def run_bytes(found: Run) -> int:
    """What a cached run holds: its record (or partial one) and its text."""
    size = sum(decode.footprint(record) for record in (found.record, found.partial) if record is not None)
    return size + len(found.error or "") + sum(map(len, found.prints)) + OVERHEAD


def figures_bytes(figures: tuple[Figure, ...]) -> int:
    """A figure's text; its folding is counted where it is cached (`folding_bytes`)."""
    return sum(len(f.dot) + len(f.svg or "") + len(f.problem or "") for f in figures) + OVERHEAD


def folding_bytes(found: Folding) -> int:
    """What a cached folding holds, roughly: the ids in its view and the keys open in it."""
    view, ids = found.view, len(found.keys)
    if view is not None:
        ids += len(view.nodes) + 2 * (len(view.edges) + len(view.placed) + len(view.hidden))
        ids += sum(box.count + len(box.inputs) + len(box.outputs) for box in view.boxes) + 4 * len(
            view.clusters
        )
    return ids * ID_BYTES + OVERHEAD


class _Watching(threading.local):
    """What the run computed in this thread reports to (`watched`): cached
    functions take only their key, so these travel beside it."""

    on_progress: Callable[[Progress], None] | None = None
    stop: Stop | None = None


_watching = _Watching()
# Per program text, how many times a stopped run was set aside (`run_again`): part of the run's key.
_attempts: dict[str, int] = {}


def run(source: str) -> Run:
    """The program's run, cached: one worker call per program text (until `run_again`)."""
    return _run(source, _attempts.get(source, 0))


def watched(source: str, on_progress: Callable[[Progress], None], stop: Stop) -> Run:
    """`run(source)`, telling `on_progress` how far it got while it runs, and
    stoppable with `stop` (from another thread). Already cached: at once."""
    _watching.on_progress, _watching.stop = on_progress, stop
    try:
        return run(source)
    finally:
        _watching.on_progress = _watching.stop = None


def run_again(source: str) -> None:
    """Set the program's (stopped) run aside, so the next `run(source)` runs it
    again; the stopped one stays cached under its old key until it is evicted."""
    _attempts[source] = _attempts.get(source, 0) + 1


@cached(run_bytes)
def _run(source: str, attempt: int) -> Run:
    stop = _watching.stop
    try:
        return Run(record=run_source(source, on_progress=_watching.on_progress, stop=stop))
    except ProgramError as err:  # includes SandboxError: a limit stopped the worker
        partial = getattr(err, "record", None)  # the graph up to the failing line, from the same run
        stopped = stop is not None and stop.requested and "stopped by the user" in str(err)
        return Run(
            error=str(err),
            line=err.line,
            prints=tuple(getattr(err, "prints", ())),
            partial=partial,
            stopped=stopped,
        )
    except Exception as exc:  # noqa: BLE001 (a failure of ours, never blamed on the program's line)
        guard.LOG.exception("failed while running a program")
        return Run(error=guard.failure_text(_("reading the program's result"), exc))


def folding(source: str, options: RenderOptions) -> Folding:
    """The folding the figures of a successful program are drawn with, worked
    out once per program, folding state and pass (all it depends on): every
    layout of the figure and the panels that name its boxes read one object."""
    return _folding(source, options.folding, options.pass_index)


@cached(folding_bytes)
def _folding(source: str, keys: frozenset[str] | None, pass_index: int | None) -> Folding:
    return folding_of(run(source).record, RenderOptions(pass_index=pass_index, folding=keys))


@cached(figures_bytes)
def layouts(source: str, options: ViewOptions) -> tuple[Figure, ...]:
    """Every way worth drawing an already successful program (`run(source)` is
    cached): one for a fixed direction, or each direction and wrapping when
    the figure is to fit its screen. A failure is a one-figure answer."""
    if options.classic:
        candidates = [
            Layout(options.directions()[0], 1, classic_source(source, show_attrs=options.show_attrs))
        ]
    else:
        record = run(source).record
        # Wrapping and a second direction only where layout is quick (Graphviz's defaults apply).
        fits = options.rankdir == "auto" and plan_for(record).name == "default"
        directions = options.directions() if fits else options.directions()[:1]
        candidates = [
            drawing(source, options, direction, bands)
            for direction in directions
            for bands in (band_counts(record) if fits else (1,))
        ]
    figures = []
    for layout in candidates:
        found = laid_out(layout, source, options)
        if found.svg is None:
            return (found,)
        figures.append(found)
    return tuple(figures)


def drawing(source: str, options: ViewOptions, rankdir: str, bands: int) -> Layout:
    """A successful program's DOT in one direction, wrapped in `bands`, from its one `folding`."""
    record = run(source).record
    dot = draw(record, options.render_options(rankdir), folding(source, options).view).source
    return Layout(rankdir, bands, wrap(dot, record, bands))


def laid_out(layout: Layout, source: str, options: ViewOptions) -> Figure:
    """One candidate laid out by `dot` for the page, or why it was not; it keeps
    what it was drawn from, so it can be drawn again (`with_hidden_grads`)."""
    folded = None if options.classic else folding(source, options)
    return on_page(Figure(layout.dot, None, folding=folded, source=source, options=options), layout)


def on_page(failed: Figure, layout: Layout) -> Figure:
    """`failed` (a figure with its DOT, no SVG yet) laid out by `dot` for the
    page under the server's caps (boxes, time, output), or why it was not:
    every figure the page shows, a failing program's too, is made here."""
    drawn, most = drawn_nodes(layout.dot), max_drawn_nodes()
    if drawn > most:
        return replace(failed, problem=too_many_to_draw(drawn, most))
    try:
        svg = export(layout.dot, "svg", timeout=VIEW_LAYOUT_S, output_mb=VIEW_OUTPUT_MB).decode("utf-8")
    except DotMissing as err:
        return replace(failed, problem=str(err), dot_missing=True)
    except ExportError as err:
        return replace(failed, problem=str(err))
    return replace(failed, svg=svg, rankdir=layout.rankdir, bands=layout.bands)


def with_hidden_grads(figure: Figure, node_ids: frozenset[str]) -> Figure:
    """The figure's layout (direction and wrapping) drawn again with these
    nodes' gradients as "?" (`RenderOptions.hide_grads`): a quiz's handout. A
    figure with no gradients of ours (the classic view, one drawn elsewhere) is itself."""
    if figure.source is None or figure.options is None or figure.options.classic:
        return figure
    return redrawn(figure.source, replace(figure.options, hide_grads=node_ids), figure.rankdir, figure.bands)


@cached(lambda found: figures_bytes((found,)))
def redrawn(source: str, options: ViewOptions, rankdir: str, bands: int) -> Figure:
    """One layout of a successful program (`layouts` tries every one worth it)."""
    return laid_out(drawing(source, options, rankdir, bands), source, options)


def drawn_nodes(dot: str) -> int:
    """How many boxes a DOT text of ours draws: every node statement our two
    writers make (`graphs.render`, `graphs.render.classic`) opens `[label=`."""
    return dot.count(" [label=")


def max_drawn_nodes(environ: Mapping[str, str] | None = None) -> int:
    """The most boxes the server lays out (`AUTOGRAD_EXPLORER_MAX_DRAWN_NODES`)."""
    found = from_environment(os.environ if environ is None else environ, {"max_drawn_nodes": "int"})
    return int(found.get("max_drawn_nodes", MAX_DRAWN_NODES))


def too_many_to_draw(drawn: int, most: int) -> str:
    return _(
        "the graph has {drawn} boxes to draw, more than the {most} this server lays out; "
        "open fewer modules, or download its DOT file"
    ).format(drawn=f"{drawn:,}", most=f"{most:,}")


def figure(source: str, options: ViewOptions, box: tuple[float, float] = DEFAULT_BOX) -> Figure:
    """The layout that shows the program's graph largest in a `box` (CSS pixels)."""
    figures = layouts(source, options)
    if len(figures) == 1:
        return figures[0]
    sized = [Sized(Layout(f.rankdir, f.bands, f.dot), *svg_size(f.svg)) for f in figures]
    return figures[sized.index(best(sized, *box))]


@cached(lambda data: len(data) + OVERHEAD)
def export_bytes(dot: str, fmt: str, dpi: int | None = None, slide: bool = False) -> bytes:
    """SVG/PNG/PDF bytes of a figure; the caller only asks when `dot` exists."""
    return export(dot, fmt, dpi=dpi, slide=slide)
