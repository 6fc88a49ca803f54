"""Folded figures: clusters for expanded modules, boxes for collapsed ones,
checked ids, escaped module text, and small graphs drawn as before."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from bench.models import build
from graphs.api import run_in_process
from graphs.record.model import GraphRecord
from graphs.render import Folding, RenderOptions, dot_source, draw, folded_view, folding_of
from graphs.render.export import export
from graphs.views import folding
from graphs.views.folding import UNFOLDED, all_keys
from graphs.worker.capture import capture
from tests.views.test_folding import NET


@pytest.fixture(scope="module")
def transformer() -> GraphRecord:
    workload = build("transformer")
    return capture(workload.model, *workload.inputs)


def test_a_large_graph_is_folded_by_default(transformer):
    dot = dot_source(transformer)
    assert "subgraph cluster_m" in dot
    (run,) = re.findall(
        r"\n\t+(m\d+) \[label=<[^\n]*<B>×4</B>[^\n]*shape=box3d", dot
    )  # layers 1-4 (5 is open)
    svg = export(dot, "svg").decode()
    assert f"<title>{run}</title>" in svg
    assert re.search(r'<g id="clust\d+" class="cluster">\s*<title>cluster_m\d+</title>', svg)


def test_a_small_graph_is_drawn_as_before_unless_folded():
    record = run_in_process(NET)
    assert folded_view(record, RenderOptions()) is None
    assert "subgraph" not in dot_source(record)
    collapsed = dot_source(record, RenderOptions(folding=frozenset({"net"})))
    assert "subgraph cluster_m0" in collapsed and "\tm1 [" in collapsed  # net.stem, a box inside net
    assert "\tm2 [" in collapsed and "net.blocks.0" not in collapsed  # the blocks, inside net.blocks
    opened = dot_source(record, RenderOptions(folding=frozenset({"net", "net.blocks"})))
    assert "net.blocks.0 … net.blocks.2" in opened and "<B>×3</B>" in opened  # three identical blocks


def test_expanding_everything_draws_every_node_and_edge_of_the_plain_figure():
    record = run_in_process(NET)
    plain = dot_source(record)
    unfolded = dot_source(record, RenderOptions(folding=all_keys(record)))
    statements = lambda dot: sorted(line.strip() for line in dot.splitlines() if re.match(r"\s*n\d+ ", line))  # noqa: E731
    assert statements(unfolded) == statements(plain)
    assert unfolded.count("subgraph cluster_m") == len(record.modules)


def test_module_text_from_a_record_is_escaped():
    record = run_in_process(NET)
    data = record.to_dict()
    data["modules"][0]["path"] = 'net"] evil [label="x'
    data["modules"][0]["kind"] = "<b>&</b>"
    for node in data["nodes"]:
        if node["module"] == "net":
            node["module"] = data["modules"][0]["path"]
    tampered = GraphRecord.from_dict(data)
    dot = dot_source(tampered, RenderOptions(folding=frozenset()))
    assert 'evil [label="x' not in dot and "<b>&</b>" not in dot
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in dot
    export(dot, "svg")  # still valid DOT


def test_record_node_ids_may_not_pose_as_boxes():
    record = run_in_process(NET)
    record.nodes[0] = replace(record.nodes[0], id="m1")
    with pytest.raises(ValueError, match="not a node id"):
        dot_source(record, RenderOptions(folding=frozenset()))


def test_folding_must_be_a_set_of_keys():
    with pytest.raises(ValueError, match="folding"):
        RenderOptions(folding=["net"])  # type: ignore[arg-type]


def test_unfolded_draws_the_plain_graph_whatever_its_size(transformer):
    dot = dot_source(transformer, RenderOptions(folding=UNFOLDED))
    assert "subgraph" not in dot and "\tm" not in dot
    assert len(re.findall(r"^\tn\d+ \[", dot, flags=re.MULTILINE)) == len(transformer.nodes)


def test_draw_takes_the_folded_view_it_is_given(monkeypatch):
    """`draw` folds nothing itself: a caller that keeps the view folds once per figure."""
    record = run_in_process(NET)
    options = RenderOptions(folding=frozenset({"net"}))
    view = folded_view(record, options)
    folded = []
    real = folding.view
    monkeypatch.setattr(folding, "view", lambda *args: folded.append(args) or real(*args))
    assert draw(record, options, view).source == dot_source(record, options)
    assert len(folded) == 1  # dot_source's own, through to_dot
    found = folding_of(record, options)
    assert found.view == view and found.keys == frozenset({"net"}) and len(folded) == 2
    assert folding_of(record, RenderOptions()) == Folding(None, all_keys(record))
