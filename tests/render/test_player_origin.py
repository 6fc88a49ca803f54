"""The player's jump to where NaN or Inf first appeared (graphs/render/player.py:
`origin`), on the catalogue's NaN lessons, and its button in the offline player
in headless Chromium."""

from __future__ import annotations

import pytest

from graphs.render import player
from tests.frontends.test_notebook import opened
from tests.render.test_player import figure


@pytest.mark.parametrize(
    ("slug", "kind", "stage", "op"),
    [
        ("nan_log", "nan", "forward", "LogBackward0"),
        ("nan_sqrt", "inf", "backward", "SqrtBackward0"),
        ("nan_division", "nan", "forward", "DivBackward0"),
    ],
)
def test_the_origin_is_the_step_that_runs_the_named_node(slug, kind, stage, op):
    record, svg = figure(slug)
    (finding,) = record.findings
    (run,) = record.passes
    found = player.steps(record, None, svg)
    origin = player.origin(record, found)
    assert origin is not None and origin.finding == finding
    assert (finding.kind, finding.stage) == (kind, stage)
    assert found[origin.step].node == finding.node
    assert origin.step == run.order[finding.node]  # step N runs the node backward numbers N
    assert f": {op}" in found[origin.step].caption


def test_no_origin_without_a_finding_or_when_the_steps_do_not_run_its_node():
    record, svg = figure("two_layer_sigmoid")
    assert not record.findings and player.origin(record, player.steps(record, None, svg)) is None
    record, svg = figure("nan_log")
    found = player.steps(record, None, svg)
    origin = player.origin(record, found)
    assert player.origin(record, found[: origin.step]) is None  # as for a pass that does not run it


def test_the_offline_player_jumps_to_the_origin(tmp_path):
    record, svg = figure("nan_sqrt")
    found = player.steps(record, None, svg)
    origin = player.origin(record, found)
    label = "Jump to where Inf first appeared"
    page_file = tmp_path / "player.html"
    page_file.write_text(
        player.player_html(svg, found, "nan_sqrt", {"index": origin.step, "label": label}), encoding="utf-8"
    )
    plain_file = tmp_path / "plain.html"
    plain_file.write_text(player.player_html(svg, found, "nan_sqrt"), encoding="utf-8")
    with opened(page_file) as page:
        jump = page.locator('[data-act="jump"]')
        assert jump.is_visible() and jump.text_content() == label
        page.click('[data-act="next"]')
        jump.click()
        assert page.get_attribute(".ae-player", "data-step") == str(origin.step)
        assert "SqrtBackward0" in page.text_content(".ae-caption")
    with opened(plain_file) as page:
        assert not page.locator('[data-act="jump"]').is_visible()
