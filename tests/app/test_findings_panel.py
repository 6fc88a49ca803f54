"""The findings panel in the app (components/findings_panel.py), with Streamlit's AppTest."""

from __future__ import annotations

from components.markdown import escape
from graphs.api import run_source
from graphs.catalogue import get
from tests.app.test_app import start


def findings(at) -> list[str]:
    """The findings shown: warnings (a finding is no failure of the page) with the panel's icon."""
    assert not at.error
    return [element.value for element in at.warning if element.icon == ":material/troubleshoot:"]


def test_a_lessons_finding_is_shown_and_show_inspects_its_node():
    at = start(entry="nan_log")
    (finding,) = run_source(get("nan_log").source).findings
    assert findings(at) == ["Line 5, log: " + escape("NaN first appears here (forward)")]
    at.button(key="finding_0").click().run()
    assert not at.exception
    assert at.session_state["node_select"] == finding.node


def test_the_panel_speaks_chinese():
    at = start(entry="dead_relu", lang="zh")
    assert findings(at) == ["第 11 行，ReluBackward0：" + escape("死亡 ReLU：8 个单元中有 8 个没有梯度")]


def test_a_healthy_network_shows_no_panel():
    at = start(entry="deep_relu")
    assert not at.exception and findings(at) == []
    assert not [button for button in at.button if button.key and button.key.startswith("finding_")]
