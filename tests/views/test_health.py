"""graphs.views.health on records written by hand: the log scale's bins, the
bins apart for zero and NaN/Inf, a folded box's norm, the layers along depth."""

from __future__ import annotations

import math

import pytest

from graphs.record.model import Pass
from graphs.views.folding import FoldedView
from graphs.views.health import BINS, NONFINITE, ZERO, Scale, chosen_pass, health
from graphs.views.passes import ALL_PASSES
from tests.views.test_diagnosis import chain


def test_a_norm_is_in_the_step_of_its_log10():
    scale = Scale(1e-12, 1.0)  # 12 decades, 2 per bin
    for norm in (1e-12, 3e-11, 9.9e-9, 1.1e-8, 5e-5, 0.2, 1.0):
        expected = min(int((math.log10(norm) + 12) / 2), BINS - 1)
        assert scale.bin(norm) == expected
    assert scale.bounds(0) == pytest.approx((1e-12, 1e-10))
    assert scale.bounds(BINS - 1) == pytest.approx((1e-2, 1.0))


def test_zero_and_non_finite_norms_are_bins_apart():
    scale = Scale(1e-3, 1.0)
    assert [scale.bin(n) for n in (0.0, math.inf, math.nan)] == [ZERO, NONFINITE, NONFINITE]


def test_one_norm_in_a_pass_is_its_largest():
    assert Scale(0.5, 0.5).bin(0.5) == BINS - 1


def test_the_pass_scale_runs_from_its_smallest_to_largest_finite_norm():
    record = chain([1.0, 1e-3, 1e-6, 0.0, math.inf])
    found = health(record, record.passes[0])
    assert (found.scale.low, found.scale.high) == (1e-6, 1.0)
    assert found.bins == {"n0": BINS - 1, "n1": 3, "n2": 0, "n3": ZERO, "n4": NONFINITE}
    assert found.used() == [0, 3, BINS - 1, ZERO, NONFINITE]


def test_a_pass_without_any_finite_norm_still_bins_zero_and_inf():
    record = chain([0.0, math.nan])
    found = health(record, record.passes[0])
    assert found.scale is None
    assert found.bins == {"n0": ZERO, "n1": NONFINITE}


def test_a_box_takes_the_largest_norm_it_holds_and_any_nan_in_it():
    record = chain([1.0, 1e-3, 1e-6, 1e-9])
    folded = FoldedView(
        nodes=("n0",), boxes=(), clusters=(), edges=(), hidden={"n1": "m1", "n2": "m1", "n3": "m3"}
    )
    record.passes[0].norms["n4"] = math.nan
    folded.hidden["n4"] = "m3"
    found = health(record, record.passes[0], folded)
    assert found.norms["m1"] == 1e-3
    assert found.bins["m1"] == found.bins["n1"]
    assert math.isnan(found.norms["m3"]) and found.bins["m3"] == NONFINITE


def test_the_layers_are_the_diagnosis_layers_in_depth_order():
    record = chain([2.0, 0.1, 1e-5])
    found = health(record, record.passes[0])
    assert [(layer.name, layer.line, layer.norm) for layer in found.layers] == [
        ("layer", 10, 2.0),
        ("layer@1", 11, 0.1),
        ("layer@2", 12, 1e-5),
    ]


def test_the_chosen_pass_is_the_last_by_default_and_none_for_all_passes():
    record = chain([1.0])
    record.passes.append(Pass(index=1, kind="backward", roots=["n0"]))
    assert chosen_pass(record, None).index == 1
    assert chosen_pass(record, 0).index == 0
    assert chosen_pass(record, ALL_PASSES) is None
