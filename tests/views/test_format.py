"""Number formatting: by default every entry reads exactly as `print(tensor)` shows it."""

from __future__ import annotations

import re

import pytest
import torch

from graphs.record.model import Summary
from graphs.views import format as fmt

CASES = [
    [1 / 3, 2.0, -0.5],
    [1.5, 2.123456, 100.0, 0.0001],  # spread over 1000x: scientific
    [1e-5, 3.0],  # below 1e-4: scientific
    [2.0, 3.0, -4.0],  # whole numbers: "2."
    [1.0, 2000.0],  # whole but spread: scientific
    [0.0, 0.0],
    [float("nan"), 1.5, float("inf")],
    [1.2243e-04, 7.8005e-05],  # seed 003's w1.grad
    [0.49987],
    [3e9, 1.0],
]


def torch_entries(values: list[float]) -> list[str]:
    text = str(torch.tensor(values))
    body = text[text.index("[") + 1 : text.rindex("]")]
    return [entry.strip() for entry in body.split(",")]


@pytest.mark.parametrize("values", CASES)
def test_entries_match_torch_print(values):
    format_one = fmt.number_format(values)
    assert [format_one(v) for v in values] == torch_entries(values)


def test_integer_tensors_print_plainly():
    assert fmt.rows([[1, -2], [3, 40]]) == [["1", "-2"], ["3", "40"]]
    assert fmt.inline(True, []) == "True"


def test_digits_sets_decimals():
    assert fmt.format_number(1 / 3, digits=2) == "0.33"
    assert fmt.format_number(1 / 3, digits=0) == "0"
    assert fmt.number_format([1e-6, 1.0], digits=1)(1e-6) == "1.0e-06"


def test_shapes_decide_matrix_or_summary():
    assert fmt.inline([[1.0, 2.5], [3.0, 4.0]], [2, 2]) == "[1.0000, 2.5000; 3.0000, 4.0000]"
    assert fmt.inline(0.25, []) == "0.2500"
    assert fmt.inline([0.5] * 5, [5]) == "5: min 0.5000  mean 0.5000  max 0.5000"
    assert fmt.inline(Summary(-1.0, 0.0, 3.0), [10, 10]) == "10×10: min -1.  mean 0.  max 3."
    assert fmt.inline(None, [10, 10]) == fmt.NO_VALUE
    assert fmt.inline([], [0]) == "0: empty"
    assert fmt.shown([[0.0] * 4] * 4, [4, 4]).rows is not None
    assert fmt.shown([[0.0] * 5] * 4, [4, 5]).rows is None


def test_summary_of_nested_values():
    stats = fmt.summarize([[1.0, 2.0], [3.0, 6.0]])
    assert (stats.min, stats.mean, stats.max) == (1.0, 3.0, 6.0)
    assert re.fullmatch(r"\d+×\d+", fmt.shape_text([3, 4]))
