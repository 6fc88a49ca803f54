"""Progress reports from a running program, and a stop that keeps the graph of what ran."""

from __future__ import annotations

import pytest
import torch

from graphs.errors import ProgramError
from graphs.worker.jobs import run_in_process
from graphs.worker.reporting import INTERVAL_S, Reporter

TRAINING = """import torch
w = torch.tensor([1.0, 2.0], requires_grad=True)
for step in range(50):
    loss = (w * w).sum()
    loss.backward()
    with torch.no_grad():
        w -= 0.1 * w.grad
        w.grad.zero_()
"""


def plain_losses() -> list[float]:
    """The program's losses as plain torch computes them."""
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    found = []
    for _ in range(50):
        loss = (w * w).sum()
        loss.backward()
        found.append(loss.item())
        with torch.no_grad():
            w -= 0.1 * w.grad
            w.grad.zero_()
    return found


class Ticks:
    """A clock that advances by `step` each time it is read: reports come out
    at a rate fixed by the test, not by the machine's speed."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def test_a_counted_loop_reports_its_iterations_passes_and_loss():
    got = []
    record = run_in_process(TRAINING, Reporter(got.append, clock=Ticks(INTERVAL_S / 2)))
    losses = plain_losses()
    assert len(got) >= 20
    for report in got:
        assert report.total == 50
        # A report is made as an iteration or a pass starts: the passes before it are done.
        assert report.iteration in (report.passes, report.passes + 1)
        expected = losses[report.passes - 1] if report.passes else None
        assert report.loss == pytest.approx(expected)
    assert [r.passes for r in got] == sorted(r.passes for r in got)
    assert [r.elapsed_s for r in got] == sorted(r.elapsed_s for r in got)
    assert record.losses[-1].value == pytest.approx(losses[-1])


def test_reports_are_throttled():
    got = []
    run_in_process(TRAINING, Reporter(got.append, clock=Ticks(INTERVAL_S / 10)))
    # 50 iterations and 50 passes read the clock about 100 times: one report in ten.
    assert 5 <= len(got) <= 12


def test_no_loop_no_counts():
    got = []
    source = "import torch\nw = torch.ones(2, requires_grad=True)\n"
    source += "for _ in range(3):\n    w.sum().backward()\n"
    source += "x = 0\nwhile x < 3:\n    (w * 2).sum().backward()\n    x += 1\n"
    run_in_process(source, Reporter(got.append, clock=Ticks(INTERVAL_S)))
    assert [r.iteration for r in got][-3:] == [None, None, None]
    assert got[-1].passes == 5 and got[-1].loss == 4.0


class StopAt(Reporter):
    """Asks for a stop once the run has made `passes` passes (as a signal would, between two steps)."""

    def __init__(self, passes: int) -> None:
        super().__init__(lambda report: None)
        self.passes = passes

    def at_boundary(self, run, iteration: bool) -> None:
        if run.pass_count == self.passes and not self.stop_requested:
            self.request_stop()
        super().at_boundary(run, iteration)


# The 50-step loop's spread up to the stops below (graphs.worker.spread: 3, 4, ..., 19, 22, 27, ...).
SPREAD_TO_22 = [3, 4, 5, 6, 7, 9, 11, 13, 15, 19, 22]


def test_stop_ends_the_run_with_the_record_of_what_ran():
    with pytest.raises(ProgramError) as caught:
        run_in_process(TRAINING, StopAt(24))
    err = caught.value
    assert str(err) == "line 3: stopped by the user after 25 passes"
    record = err.record
    assert record.error == str(err)
    # The stop came in a stretch run without capture (passes 23 and 24 are
    # neither head nor spread): one more iteration ran captured, so the graph
    # shows the last pass as well as the ones kept before it.
    assert [p.index for p in record.passes] == [0, 1, 2, *SPREAD_TO_22, 24]
    assert [loss.value for loss in record.losses] == pytest.approx(plain_losses()[:25])
    leaf = next(node for node in record.nodes if node.name == "w")
    assert leaf is not None


def test_a_stop_after_a_captured_iteration_stops_at_once():
    """Pass 19 is one of the spread's, so its iteration ran captured: a stop
    asked as the next one starts needs no extra iteration to show the last pass."""
    with pytest.raises(ProgramError) as caught:
        run_in_process(TRAINING, StopAt(20))
    assert str(caught.value) == "line 3: stopped by the user after 20 passes"
    record = caught.value.record
    assert [p.index for p in record.passes] == [0, 1, 2, *SPREAD_TO_22[:-1]]
    assert [loss.value for loss in record.losses] == pytest.approx(plain_losses()[:20])


def test_stop_without_a_counted_loop_stops_at_the_next_pass():
    source = "import torch\nw = torch.ones(2, requires_grad=True)\nx = 0\nwhile True:\n"
    source += "    (w * 3).sum().backward()\n    x += 1\n"
    with pytest.raises(ProgramError) as caught:
        run_in_process(source, StopAt(7))
    assert str(caught.value) == "line 5: stopped by the user after 7 passes"
    assert len(caught.value.record.losses) == 7


def test_the_program_cannot_swallow_a_stop():
    source = "import torch\nw = torch.ones(2, requires_grad=True)\nfor _ in range(100):\n    try:\n"
    source += "        (w * 3).sum().backward()\n    except Exception:\n        pass\n"
    with pytest.raises(ProgramError, match="stopped by the user after 4 passes"):
        run_in_process(source, StopAt(4))
