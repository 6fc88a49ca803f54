"""The gate of progress reports: well-formed reports pass, hostile ones are dropped."""

from __future__ import annotations

import json

import pytest

from graphs.record.progress import (
    MAX_REPORT_BYTES,
    MAX_REPORTS,
    MIN_INTERVAL_S,
    BadProgress,
    Progress,
    ProgressGate,
    parse,
)

GOOD = Progress(iteration=3, total=10, passes=3, loss=0.25, elapsed_s=1.5)


def wire(**changes) -> bytes:
    return json.dumps({**GOOD.to_wire(), **changes}).encode()


class Clock:
    """Time that moves only when a test says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_report_round_trips_and_says_how_far_the_loop_got():
    found = parse(wire())
    assert found == GOOD
    assert found.fraction == pytest.approx(0.3)
    assert parse(wire(iteration=None, total=None, loss=None)).fraction is None


@pytest.mark.parametrize(
    "data",
    [
        wire(loss=float("nan")),
        b'{"iteration": 1, "total": 2, "passes": 1, "loss": NaN, "elapsed_s": 1}',
        b'{"iteration": 1, "total": 2, "passes": 1, "loss": Infinity, "elapsed_s": 1}',
        wire(passes=10**13),
        wire(passes=-1),
        wire(passes=1.5),
        wire(passes=True),
        wire(passes="3"),
        wire(iteration=None),  # a total without its iteration
        wire(elapsed_s=-1.0),
        wire(elapsed_s=1e300),
        wire(extra=1),
        json.dumps([1, 2, 3, 4, 5]).encode(),
        b"\xff\xfe",
        b"{" * 400,
        wire(loss="x" * MAX_REPORT_BYTES),
    ],
)
def test_hostile_reports_are_refused(data):
    with pytest.raises(BadProgress):
        parse(data)


def test_the_gate_drops_malformed_reports_and_keeps_reading():
    clock = Clock()
    gate = ProgressGate(clock)
    assert gate.accept(b"not json") is None
    assert gate.accept(wire()) == GOOD
    assert (gate.accepted, gate.dropped) == (1, 1)


def test_a_flood_is_thinned_to_a_few_reports_a_second():
    clock = Clock()
    gate = ProgressGate(clock)
    passed = 0
    for step in range(1000):  # 1,000 reports in one second
        clock.now = step / 1000
        passed += gate.accept(wire(passes=step)) is not None
    assert passed == round(1 / MIN_INTERVAL_S)
    assert gate.dropped == 1000 - passed


def test_a_run_gets_at_most_max_reports():
    clock = Clock()
    gate = ProgressGate(clock)
    for step in range(MAX_REPORTS + 50):
        clock.now = step * MIN_INTERVAL_S * 2
        gate.accept(wire())
    assert gate.accepted == MAX_REPORTS
    assert gate.dropped == 50
