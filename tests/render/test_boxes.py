"""The words on folded boxes and clusters (graphs/render/boxes.py): a box of a
program's loop iterations is told as one, a box of module calls as one, in the
DOT and in the SVG the app shows (the tooltips survive graphs/render/svgsafe.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from graphs.api import run_source
from graphs.render import RenderOptions, dot_source, folded_view
from graphs.render.boxes import BOX_HINTS, CLUSTER_HINTS, RUN_HINTS, box_word, cluster_word
from graphs.render.export import export
from graphs.render.svgsafe import clean_svg
from tests.app.test_app_folding import ENCODER

RNN = (Path(__file__).parents[1] / "programs" / "loops" / "rnn_400_steps.py").read_text()


@pytest.fixture(scope="module")
def records():
    return {"loop": run_source(RNN), "module": run_source(ENCODER)}


def tooltips(dot: str) -> dict[str, set[str]]:
    """Each drawn box's and cluster's tooltip, by what it is."""
    boxes = set(re.findall(r'shape=box3d [^\n]*tooltip="([^"]*)"', dot))
    clusters = set(re.findall(r'labeljust=l tooltip="([^"]*)"', dot))
    return {"boxes": boxes, "clusters": clusters}


def test_a_loop_s_boxes_and_clusters_are_told_as_loop_iterations(records):
    record = records["loop"]
    view = folded_view(record, RenderOptions())
    assert {box_word(record, box) for box in view.boxes} == {"loop"}
    assert {cluster_word(cluster) for cluster in view.clusters} == {"loop"}
    found = tooltips(dot_source(record, RenderOptions()))
    assert found == {"boxes": {RUN_HINTS["loop"]}, "clusters": {CLUSTER_HINTS["loop"]}}
    # A single iteration folded alone (every other one open) says so too.
    keys = {f"loop@L12@{i}" for i in range(400) if i != 7} | {"loop@L12"}
    single = tooltips(dot_source(record, RenderOptions(folding=frozenset(keys))))
    assert single["boxes"] == {BOX_HINTS["loop"]}


def test_a_model_s_boxes_and_clusters_are_told_as_module_calls(records):
    record = records["module"]
    found = tooltips(dot_source(record, RenderOptions()))
    assert RUN_HINTS["module"] in found["boxes"] and found["clusters"] == {CLUSTER_HINTS["module"]}
    assert not any("loop" in hint for hints in found.values() for hint in hints)
    collapsed = tooltips(dot_source(record, RenderOptions(folding=frozenset())))  # all one box
    assert collapsed["boxes"] == {BOX_HINTS["module"]}


def test_the_tooltips_reach_the_cleaned_svg(records):
    svg = clean_svg(export(dot_source(records["loop"], RenderOptions()), "svg")).decode("utf-8")
    assert RUN_HINTS["loop"] in svg and CLUSTER_HINTS["loop"] in svg
