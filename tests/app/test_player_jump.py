"""The step-through player and the findings panel taking the user to where NaN
or Inf first appeared (components/player_view.py, components/findings_panel.py),
with Streamlit's AppTest on the catalogue's NaN lessons and a two-pass program."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from graphs.api import run_source
from graphs.catalogue import get
from tests.app.test_app import component_data, run_program, start

# A NaN from log in the first of two passes; the second, drawn by default, is finite.
TWO_PASSES = """import torch
w = torch.tensor([0.5, -0.5], requires_grad=True)
for shift in (0.0, 1.0):
    loss = torch.log(w + shift).sum()
    loss.backward()
"""


def stepping(at: AppTest) -> dict:
    """Turn *Step through backward* on; the data the player component is given."""
    at.toggle(key="stepping").set_value(True).run()
    assert not at.exception and not at.error
    return component_data(at, "player")


@pytest.mark.parametrize(
    ("slug", "label"),
    [
        ("nan_log", "Jump to where NaN first appeared"),
        ("nan_sqrt", "Jump to where Inf first appeared"),
        ("nan_division", "Jump to where NaN first appeared"),
    ],
)
def test_the_player_offers_the_step_that_runs_the_origin(slug, label):
    record = run_source(get(slug).source)
    (finding,) = record.findings
    (run,) = record.passes
    data = stepping(start(entry=slug))
    assert data["jump"] == {"index": run.order[finding.node], "label": label}
    assert data["steps"][data["jump"]["index"]]["node"] == finding.node
    assert data["goto"] is None


def test_the_jump_speaks_chinese():
    data = stepping(start(entry="nan_log", lang="zh"))
    assert data["jump"]["label"] == "跳到 NaN 最先出现的地方"


def test_no_jump_without_an_origin_in_the_pass_drawn():
    assert stepping(start(entry="two_layer_sigmoid"))["jump"] is None
    at = run_program(start(), TWO_PASSES)
    assert stepping(at)["jump"] is None  # the origin is in pass 1, the last pass is drawn


def test_the_findings_button_draws_the_origins_pass_inspects_it_and_moves_the_player():
    record = run_source(TWO_PASSES)
    (finding,) = record.findings
    first = record.passes[0]
    assert finding.kind == "nan" and finding.pass_index == first.index == 0 and finding.node in first.order
    at = run_program(start(), TWO_PASSES)
    button = at.button(key="finding_0")
    assert button.label == "Jump to it"
    button.click().run()
    assert not at.exception
    assert at.selectbox(key="opt_pass_index").value == 0
    assert at.session_state["node_select"] == finding.node
    data = stepping(at)
    step = first.order[finding.node]
    assert data["goto"]["index"] == step and data["jump"]["index"] == step
    assert data["steps"][step]["node"] == finding.node
    at.run()
    assert component_data(at, "player")["goto"] is None  # asked for once
    at.button(key="finding_0").click().run()
    again = component_data(at, "player")["goto"]
    assert again["index"] == step and again["serial"] != data["goto"]["serial"]  # a new request


def test_a_request_for_another_programs_finding_is_dropped():
    at = run_program(start(), TWO_PASSES)
    at.button(key="finding_0").click().run()
    assert "player_goto" in at.session_state
    at = run_program(at, get("nan_log").source)  # same node id n2, another finding
    assert stepping(at)["goto"] is None
    assert "player_goto" not in at.session_state


def test_show_on_another_finding_only_inspects_its_node():
    at = start(entry="dead_relu")
    assert at.button(key="finding_0").label == "Show"
    at.button(key="finding_0").click().run()
    (finding,) = run_source(get("dead_relu").source).findings
    assert at.session_state["node_select"] == finding.node
    assert "player_goto" not in at.session_state
