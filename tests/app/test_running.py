"""A long program in the app: a stopped run shows the graph of what ran, and Run runs it again."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import pipeline, running
from components.loss_curve import points_frame
from components.share import encode_code
from tests.training import training

APP = str(Path(__file__).resolve().parents[2] / "app.py")
# About two seconds of work when it runs to its end, far more than the page's quiet wait.
TRAINING = training(4000)


@pytest.fixture(autouse=True)
def local_limits(monkeypatch):
    monkeypatch.setenv("AUTOGRAD_EXPLORER_PROFILE", "local")


def test_a_stopped_run_shows_what_ran_and_run_runs_it_again():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["code"] = encode_code(TRAINING)
    job = running.Job(TRAINING)
    at.session_state[running.JOB_KEY] = job
    job.start()
    while not job.reports and not job.done.wait(0.05):
        pass  # the user sees the first progress, then clicks Stop
    job.stop.request()  # as the Stop button does: the page finds the job asked to stop
    at.run()
    assert not at.exception
    [note] = [info.value for info in at.info if "stopped by the user" in info.value]
    assert "stopped by the user after" in note
    stopped = pipeline.run(TRAINING)
    assert stopped.stopped and stopped.partial is not None
    assert 1 <= len(stopped.partial.losses) < 4000
    assert [el for el in at.get("bidi_component") if el.key == "failed_graph"]
    assert at.session_state[running.STOPPED_KEY] == TRAINING

    at.button(key="run").click().run()  # the editor's Run: the stopped run is set aside
    assert not at.exception
    finished = pipeline.run(TRAINING)
    assert finished.record is not None and len(finished.record.losses) == 4000
    assert not [info for info in at.info if "stopped by the user" in info.value]


def test_the_live_curve_is_drawn_from_the_reports():
    frame = points_frame([(1, 3.0), (2, None), (5, 2.0)])
    assert frame is not None and frame["pass"].tolist() == [1, 5] and frame["loss"].tolist() == [3.0, 2.0]
    assert points_frame([(1, 3.0)]) is None


def test_a_program_left_while_it_runs_is_stopped_and_not_kept_stopped():
    source = training(1_000_000)
    job = running.Job(source)
    job.start()
    while not job.reports and not job.done.wait(0.05):
        pass
    job.abandon()  # what the page does when another program is picked
    assert job.done.wait(120)
    assert job.outcome.stopped
    assert pipeline._attempts.get(source) == 1  # the next run of this text runs it again
