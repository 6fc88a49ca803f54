"""The scrubber under the loss curve: a slider over the kept passes that moves
the graph to the one chosen, through the pass picker's own state."""

from __future__ import annotations

from components.loss_curve import kept_marks
from graphs.api import run_source
from tests.app.test_app import TRAINING, graph_svg, run_program, start


def test_moving_the_scrubber_draws_that_pass_as_the_picker_would():
    at = run_program(start(), TRAINING)
    record = run_source(TRAINING)
    scrub = at.select_slider(key="scrub_pass")
    third = next(loss.value for loss in record.losses if loss.index == 2)
    assert scrub.value == len(record.passes) - 1  # the last pass, as the picker's "Last pass"
    assert scrub.format_func(2) == f"pass 3 · loss {third:.4g}"
    last = graph_svg(at)
    scrub.set_value(2).run()
    assert not at.exception
    assert at.selectbox(key="opt_pass_index").value == 2  # one chosen pass for the whole page
    moved = graph_svg(at)
    assert moved != last
    # The same figure as choosing pass 3 in the picker itself.
    other = run_program(start(), TRAINING)
    other.selectbox(key="opt_pass_index").set_value(2).run()
    assert graph_svg(other) == moved
    assert at.select_slider(key="scrub_pass").value == 2


def test_the_picker_moves_the_scrubber_and_the_chart_marks_the_kept_passes():
    at = run_program(start(), TRAINING)
    at.selectbox(key="opt_pass_index").set_value(3).run()
    assert at.select_slider(key="scrub_pass").value == 3
    [chart] = [chart for chart in at.get("vega_lite_chart") if '"loss"' in chart.proto.spec]
    assert '"type": "rule"' in chart.proto.spec and "datum.drawn" in chart.proto.spec
    marks = kept_marks(run_source(TRAINING), 3).data
    # Counted from 1: head, the spread (indices 3, 4, 6, ..., 296: graphs.worker.spread), tail.
    spread = [4, 5, 7, 9, 11, 15, 20, 27, 36, 48, 65, 88, 119, 161, 219, 297]
    assert list(marks["pass"]) == [1, 2, 3, *spread, 298, 299, 300]
    assert list(marks["drawn"]) == [position == 3 for position in range(22)]


def test_the_scrubber_speaks_chinese():
    at = run_program(start(lang="zh"), TRAINING)
    scrub = at.select_slider(key="scrub_pass")
    assert scrub.label == "把图移到保留的某一次"
    assert scrub.options[0] == "第 1 次 · 损失 4.359"  # the loss of pass 1 in plain torch: see test_app
