"""Every kept pass of a record drawn with one view's options, each a file in a ZIP:
how the gradients evolved over training, for slides and notes.

Each pass is drawn as the page draws it (the same options, folding, direction
and wrapping; the gradient overlay when it is on), with a caption under it
naming the pass and its loss, and laid out by `graphs.render.export` under its
usual caps. A record keeps at most a couple of dozen passes, but each of them
can be a large graph, so the whole export has a time budget and an output
budget of its own: a pass that fails, or that the budgets leave no room for, is
named with its reason in `PROBLEMS` inside the ZIP, never an exception.
Passes are numbered from 1, as the app's picker and scrubber count them.
"""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from graphs.record.model import GraphRecord
from graphs.render import draw, folded_view
from graphs.render.export import DEFAULT_TIMEOUT, ExportError, export
from graphs.render.fit import wrap
from graphs.render.options import RenderOptions

TOTAL_SECONDS = 90.0  # for the whole export: 22 kept passes of a mid-size graph take a few seconds each
TOTAL_OUTPUT_MB = 96  # what all the files together may weigh before they are zipped
PASS_OUTPUT_MB = 16  # one file: the page's own cap on one drawing
MIN_SECONDS = 1.0  # a pass left less than this is not started
PROBLEMS = "problems.txt"
FILE_FORMATS = ("svg", "png", "pdf")


@dataclass(frozen=True)
class PassDrawing:
    """One kept pass's DOT, captioned, and the number it is named by."""

    number: int  # Pass.index + 1
    dot: str

    def file_name(self, fmt: str) -> str:
        return f"pass-{self.number:04d}.{fmt}"


@dataclass(frozen=True)
class Captions:
    """A kept pass's words, `pass 7 · loss 0.031`: the captions of these files,
    and the app's pass slider (components.loss_curve), so the two never
    disagree. English by default; the app hands templates in the page's
    language, translated while the page runs, since the ZIP is made on click."""

    number: str = "pass {number}"
    loss: str = "loss {value}"

    def __call__(self, number: int, loss: float | None) -> str:
        text = self.number.format(number=number)
        return text if loss is None else f"{text} · {self.loss.format(value=f'{loss:.4g}')}"


def drawings(
    record: GraphRecord,
    options: RenderOptions,
    bands: int = 1,
    caption: Callable[[int, float | None], str] = Captions(),
) -> Iterator[PassDrawing]:
    """Each kept pass drawn with `options` (its `pass_index` replaced), wrapped in
    `bands` like the page's figure; made one at a time, as the export lays them out."""
    losses = {loss.index: loss.value for loss in record.losses}
    for position, run in enumerate(record.passes):
        shown = replace(options, pass_index=position)
        dot = wrap(draw(record, shown, folded_view(record, shown)).source, record, bands)
        number = run.index + 1
        yield PassDrawing(number, captioned(dot, caption(number, losses.get(run.index))))


def captioned(dot: str, caption: str) -> str:
    """`dot` with `caption` as the graph's own label (drawn under it): a statement
    at the end of the top graph, so no cluster drawn before it takes it."""
    quoted = caption.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return dot.rstrip().removesuffix("}") + f'\tlabel="{quoted}"\n}}\n'


@dataclass
class _Budget:
    """What is left of the export's time and output."""

    deadline: float
    output_bytes: int

    def seconds(self) -> float:
        return self.deadline - time.monotonic()

    def output_mb(self) -> int:
        return min(PASS_OUTPUT_MB, self.output_bytes // (1024 * 1024))


def passes_zip(
    found: Iterator[PassDrawing] | list[PassDrawing],
    fmt: str,
    seconds: float = TOTAL_SECONDS,
    output_mb: int = TOTAL_OUTPUT_MB,
) -> bytes:
    """A ZIP with one `fmt` file per drawing (`pass-0007.svg`), and `PROBLEMS`
    naming each pass left out and why. PDFs are 16:9 pages, PNGs 1080p slides."""
    if fmt not in FILE_FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(FILE_FORMATS)}")
    budget = _Budget(time.monotonic() + seconds, output_mb * 1024 * 1024)
    problems: list[str] = []
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for drawing in found:
            try:
                data = _laid_out(drawing, fmt, budget)
            except ExportError as err:
                problems.append(f"pass {drawing.number}: not drawn: {err}")
                continue
            budget.output_bytes -= len(data)
            archive.writestr(drawing.file_name(fmt), data)
        if problems:
            archive.writestr(PROBLEMS, "\n".join(problems) + "\n")
    return out.getvalue()


def _laid_out(drawing: PassDrawing, fmt: str, budget: _Budget) -> bytes:
    """One pass's file within what the budget has left; an ExportError says why not."""
    seconds, output_mb = budget.seconds(), budget.output_mb()
    if seconds < MIN_SECONDS:
        raise ExportError("the export's time budget was used up before this pass")
    if output_mb < 1:
        raise ExportError("the export's size budget was used up before this pass")
    timeout = min(DEFAULT_TIMEOUT, seconds)
    return export(drawing.dot, fmt, timeout=timeout, output_mb=output_mb, slide=fmt == "pdf")
