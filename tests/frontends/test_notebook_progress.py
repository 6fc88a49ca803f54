"""`explore(program_text)` in a kernel: the run's progress in the cell's output; an interrupt stops it."""

from __future__ import annotations

import threading

import pytest

from graphs.api import Progress, Stop
from graphs.notebook import progress
from tests.training import training


@pytest.fixture(autouse=True)
def local_limits(monkeypatch):
    monkeypatch.setenv("AUTOGRAD_EXPLORER_PROFILE", "local")


class Output:
    """IPython's `display(..., display_id=True)` and its handle, recording what the cell showed."""

    def __init__(self, on_update=None) -> None:
        self.shown: list[str] = []
        self.on_update = on_update

    def display(self, html, display_id=False):
        assert display_id is True
        self.shown.append(html.data)
        return self

    def update(self, html) -> None:
        self.shown.append(html.data)
        if self.on_update is not None:
            self.on_update(html.data)


@pytest.fixture
def output(monkeypatch):
    found = Output()
    monkeypatch.setattr("IPython.display.display", found.display)
    return found


def test_the_cell_shows_the_bar_while_the_program_runs_and_clears_it(output):
    record = progress.run_with_progress(training(6000))
    assert len(record.losses) == 6000
    bars = [shown for shown in output.shown if "iteration" in shown]
    assert bars, "a run of seconds shows its progress"
    assert all('<progress max="1" value="' in bar and "of 6,000" in bar for bar in bars)
    assert output.shown[-1] == ""  # cleared when the run ended


def test_a_stop_gives_the_graph_of_what_ran(output):
    stop = Stop()
    output.on_update = lambda shown: "iteration" in shown and stop.request()
    record = progress.run_with_progress(training(1_000_000), stop)
    assert "stopped by the user after" in record.error
    assert 1 <= len(record.losses) < 1_000_000


class Interrupted:
    """An event whose first wait is interrupted (Ctrl-C, the kernel's ■)."""

    def __init__(self, times: int) -> None:
        self.times = times
        self.event = threading.Event()

    def wait(self, timeout: float) -> bool:
        if self.times:
            self.times -= 1
            raise KeyboardInterrupt
        return self.event.wait(timeout)


def test_a_first_interrupt_asks_for_a_stop_and_a_second_gives_up():
    watched = progress.Watched("", done=Interrupted(2))
    assert progress._wait(watched) is False and watched.stop.requested
    with pytest.raises(KeyboardInterrupt):
        progress._wait(watched)


def test_the_bar_without_a_counted_loop_has_no_end():
    shown = progress.bar_html(Progress(None, None, 3, 0.5, 1.25))
    assert "<progress></progress>" in shown and "3 passes · loss 0.5 · 1.2 s" in shown
    assert progress.bar_html(Progress(1, 4, 1, None, 0.0)).count('value="0.2500"') == 1
