"""A program running while the page shows how far it got, with a Stop button.

A training loop of 30 s used to show Streamlit's running indicator and
nothing else. Streamlit runs the page's script in one thread, so the run
goes to a thread of its own (`Job`), kept in the session, and the script
waits for it, redrawing the progress (a bar for the outermost counted loop,
or the passes so far, the time, the loss curve as it grows) a few times a
second. Each redraw is also where Streamlit hands the script a rerun, so a
click on Stop ends the wait: the next script run finds the job still
running, asks it to stop (the worker ends at its next safe point and sends
the graph of what ran) and waits for that.

Everything is drawn in placeholders inside one keyed container, so what
follows it on the page keeps its place whether a run was shown or not (a
shifted element is re-mounted: the editor lost its focus).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from components import pipeline
from components.i18n import _
from components.loss_curve import loss_chart, points_frame
from graphs.api import Progress, Stop

JOB_KEY = "running_job"
STOP_KEY = "stop_run"
STOPPED_KEY = "stopped_source"  # the program whose run shown now was stopped
RUN_KEY = "run"  # the editor's Run button (components.picker): a stopped run is run again
# How long a run may take before the page shows its progress (most programs
# are done, or cached, well before), and how often the progress is redrawn.
QUIET_S = 0.5
REDRAW_S = 0.25
# The most points of the live loss curve (a report is one point; five a second).
MAX_POINTS = 2_000


@dataclass
class Job:
    """One program running in its own thread; `reports` grows while it runs."""

    source: str
    stop: Stop = field(default_factory=Stop)
    reports: list[Progress] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)
    started: float = field(default_factory=time.monotonic)
    outcome: pipeline.Run | None = None
    abandoned: bool = False  # another program was picked while this one ran

    def start(self) -> None:
        thread = threading.Thread(target=self._work, name="program-run", daemon=True)
        add_script_run_ctx(thread, get_script_run_ctx())  # the language of a message of ours
        thread.start()

    def _work(self) -> None:
        try:
            self.outcome = pipeline.watched(self.source, self._heard, self.stop)
            if self.abandoned and self.outcome.stopped:
                pipeline.run_again(self.source)  # nobody asked to see it stopped: run it in full next time
        finally:
            self.done.set()

    def abandon(self) -> None:
        self.abandoned = True
        self.stop.request()

    def _heard(self, report: Progress) -> None:
        if len(self.reports) < MAX_POINTS:
            self.reports.append(report)
        else:  # keep the newest: the bar and the time follow the last report
            self.reports[-1] = report


def run(source: str) -> pipeline.Run:
    """The run of `source`, waited for while its progress is shown (call it
    inside a container of its own, before anything that needs the run)."""
    state = st.session_state
    if state.get(RUN_KEY) and state.get(STOPPED_KEY) == source:  # Run clicked after a stop
        pipeline.run_again(source)
        state.pop(STOPPED_KEY)
    job = state.get(JOB_KEY)
    if job is not None and job.source != source:
        job.abandon()  # another program was picked: this one is not wanted any more
        job = None
    if job is None:
        job = state[JOB_KEY] = Job(source)
        job.start()
    if state.get(STOP_KEY):
        job.stop.request()
    if not job.done.wait(QUIET_S):
        _show_until_done(job)
    state.pop(JOB_KEY, None)
    found = job.outcome or pipeline.Run(error=_("the program's run ended without a result"))
    state[STOPPED_KEY] = source if found.stopped else None
    return found


def _show_until_done(job: Job) -> None:
    """Redraw the job's progress until it ends; each redraw may end this script run (a click)."""
    bar, status, chart, button = st.empty(), st.empty(), st.empty(), st.empty()
    button.button(_("Stop"), key=STOP_KEY, icon=":material/stop:", disabled=job.stop.requested)
    shown = 0
    while not job.done.wait(REDRAW_S):
        last = job.reports[-1] if job.reports else None
        bar.progress(_fraction(last), text=_bar_text(last))
        status.caption(_status_text(job, last))
        if len(job.reports) != shown:
            shown = len(job.reports)
            frame = points_frame((report.passes, report.loss) for report in job.reports)
            if frame is not None:
                with chart.container():
                    st.caption(_("Loss so far ({count} points)").format(count=len(frame)))
                    st.altair_chart(loss_chart(frame), width="stretch")
    for slot in (bar, status, chart, button):
        slot.empty()


def _fraction(report: Progress | None) -> float:
    if report is None:
        return 0.0
    fraction = report.fraction
    return fraction if fraction is not None else 0.0


def _bar_text(report: Progress | None) -> str:
    if report is None:
        return _("Running…")
    if report.iteration is not None:
        return _("Iteration {iteration} of {total}").format(
            iteration=f"{report.iteration:,}", total=f"{report.total:,}"
        )
    return _("{passes} passes").format(passes=f"{report.passes:,}")


def _status_text(job: Job, report: Progress | None) -> str:
    seconds = time.monotonic() - job.started
    parts = [_("{seconds:.1f} s so far").format(seconds=seconds)]
    if report is not None:
        parts.append(_("{passes} passes").format(passes=f"{report.passes:,}"))
        if report.loss is not None:
            parts.append(_("loss {loss:.4g}").format(loss=report.loss))
    if job.stop.requested:
        parts.append(_("stopping at the next step…"))
    return " · ".join(parts)
