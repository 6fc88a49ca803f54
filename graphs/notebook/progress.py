"""A program text's run in a notebook, with its progress in the cell's output.

`explore(program_text)` waits for a sandbox worker; a training program of
30 s showed nothing until it ended. Here the run goes to a thread, and the
cell's own thread updates one output in place (an HTML progress bar and the
line of `summary`) a few times a second: display messages sent from the
cell's thread reach that cell's output in every front end. Interrupting the
kernel (the ■ button) asks the program to stop: the worker ends at its next
safe point and the view shows the graph of what ran, with the error saying
it was stopped. A second interrupt gives up waiting.
"""

from __future__ import annotations

import html
import threading
from dataclasses import dataclass, field

from graphs.api import Progress, Stop, run_source
from graphs.errors import ProgramError
from graphs.record.model import GraphRecord
from graphs.record.progress import summary

# How often the output is redrawn (the worker reports five times a second at most).
REDRAW_S = 0.25


def bar_html(report: Progress | None) -> str:
    """The progress bar and its line: a bar of the outermost counted loop, or
    one that moves without an end (passes only), and the numbers."""
    if report is None:
        return "<div><progress></progress> running…</div>"
    fraction = report.fraction
    bar = (
        "<progress></progress>"
        if fraction is None
        else f'<progress max="1" value="{fraction:.4f}"></progress>'
    )
    return f"<div>{bar} {html.escape(summary(report))}</div>"


@dataclass
class Watched:
    """One run in its thread: the last report, and the record or the error it ended with."""

    source: str
    stop: Stop = field(default_factory=Stop)
    last: Progress | None = None
    record: GraphRecord | None = None
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)

    def work(self) -> None:
        try:
            self.record = run_source(self.source, on_progress=self.heard, stop=self.stop)
        except BaseException as err:  # noqa: BLE001 (raised again in the cell's thread)
            self.error = err
        finally:
            self.done.set()

    def heard(self, report: Progress) -> None:
        self.last = report


def run_with_progress(source: str, stop: Stop | None = None) -> GraphRecord:
    """`run_source(source)`, showing how far it got; an interrupt (or `stop`,
    requested from another thread) stops it and returns the graph of what
    ran (the record's `error` says it was stopped)."""
    from IPython.display import HTML, display

    watched = Watched(source, stop or Stop())
    threading.Thread(target=watched.work, name="program-run", daemon=True).start()
    handle, shown = None, None
    try:
        while not _wait(watched):
            if watched.last is not shown or handle is None:
                shown = watched.last
                if handle is None:
                    handle = display(HTML(bar_html(shown)), display_id=True)
                else:
                    handle.update(HTML(bar_html(shown)))
    finally:
        if handle is not None:
            handle.update(HTML(""))
    if (
        isinstance(watched.error, ProgramError)
        and watched.stop.requested
        and watched.error.record is not None
    ):
        return watched.error.record  # stopped: the graph of what ran, its error saying so
    if watched.error is not None:
        raise watched.error
    assert watched.record is not None  # the thread ended with a record or an error
    return watched.record


def _wait(watched: Watched) -> bool:
    """Wait one redraw for the run; an interrupt asks it to stop (once) and waits on."""
    try:
        return watched.done.wait(REDRAW_S)
    except KeyboardInterrupt:
        if watched.stop.requested:
            raise  # a second interrupt: stop waiting
        watched.stop.request()
        return False
