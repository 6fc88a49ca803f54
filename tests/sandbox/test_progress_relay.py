"""Reports of a running program through the wall, a stop that keeps the graph
of what ran, and a worker that floods or forges reports."""

from __future__ import annotations

import pytest

from graphs.api import Stop, run_in_process, run_source
from graphs.errors import ProgramError
from graphs.sandbox import SandboxConfig, SandboxError, call
from graphs.worker.jobs import run_python

LOCAL = {"AUTOGRAD_EXPLORER_PROFILE": "local"}
TRAINING = """import torch
w = torch.tensor([1.0, -2.0, 0.5], requires_grad=True)
for step in range({steps}):
    loss = (w * w).sum() + 1.0
    loss.backward()
    with torch.no_grad():
        w -= 1e-4 * w.grad
        w.grad.zero_()
    busy = torch.ones(200, 200) @ torch.ones(200, 200)
"""


@pytest.fixture(autouse=True)
def local_limits(monkeypatch):
    for name, value in LOCAL.items():
        monkeypatch.setenv(name, value)


def test_reports_arrive_while_the_program_runs_and_agree_with_its_record():
    got = []
    record = run_source(TRAINING.format(steps=3000), on_progress=got.append)
    assert got, "a program of seconds reports at least once"
    assert all(report.total == 3000 and 1 <= report.iteration <= 3000 for report in got)
    assert [r.passes for r in got] == sorted(r.passes for r in got)
    for report in got:
        if report.passes:
            assert report.loss == record.losses[report.passes - 1].value


def test_stop_ends_the_run_and_keeps_the_graph_of_what_ran():
    stop = Stop()

    def heard(report) -> None:
        if report.passes >= 40:
            stop.request()

    source = TRAINING.format(steps=1_000_000)
    with pytest.raises(ProgramError) as caught:
        run_source(source, on_progress=heard, stop=stop)
    err = caught.value
    assert "stopped by the user after" in str(err)
    record = err.record
    ran = len(record.losses)
    assert ran >= 40 and str(err).endswith(f"after {ran} passes")
    assert record.error == str(err)
    # The first passes and the last one are drawn in full, with the program's numbers.
    assert [p.index for p in record.passes][:3] == [0, 1, 2]
    assert record.passes[-1].index == ran - 1
    full = run_in_process(TRAINING.format(steps=ran))
    assert [loss.value for loss in record.losses] == [loss.value for loss in full.losses]


def test_a_stop_before_the_job_can_hear_it_is_sent_again():
    stop = Stop()
    stop.request()  # before the worker exists
    with pytest.raises(ProgramError, match="stopped by the user"):
        run_source(TRAINING.format(steps=1_000_000), stop=stop)


FLOOD = """import os
for _ in range(100_000):
    os.write(3, b'report:{"iteration": 1}\\n')
print("done")
"""


def test_a_flood_of_reports_is_thinned_by_the_monitor_and_the_result_still_comes():
    raw = []
    assert call(run_python, FLOOD, config=SandboxConfig(timeout_s=60.0), on_report=raw.append) == ["done"]
    assert 1 <= len(raw) < 1_000  # 100,000 sent
    assert raw[0] == b'{"iteration": 1}'


def test_forged_reports_never_reach_the_callback():
    forged = "import os\nos.write(3, b'report:{\"iteration\": 1}\\n')\nimport time\ntime.sleep(0.3)\n"
    forged += "import torch\nw = torch.ones(1, requires_grad=True)\nw.sum().backward()\n"
    got = []
    record = run_source(forged, on_progress=got.append)
    assert len(record.losses) == 1
    # Only the worker's own report (as the pass starts, after the sleep) came through.
    assert all(report.iteration is None and report.passes == 0 for report in got)


def test_a_report_line_too_long_spoils_only_the_result():
    source = "import os\nos.write(3, b'report:' + b'x' * 5000)\nprint('done')\n"
    with pytest.raises(SandboxError, match="could not be read"):
        call(run_python, source, config=SandboxConfig(timeout_s=60.0), on_report=lambda data: None)
