"""Every kept pass in the notebook's picker (graphs/notebook/passviews.py): a
training loop keeps up to 6 + 16 passes, and a page offers them all, unless
their figures pass the page's byte budget, when it carries a spread of them
from both ends of the run inwards and names the rest."""

from __future__ import annotations

import json
import re

import pytest

from graphs.notebook.explorer import Explorer
from graphs.notebook.page import RECORD_BYTES
from graphs.notebook.passviews import FIGURE_BYTES, embed, ends_inwards, pass_views
from graphs.record.model import GraphRecord
from graphs.views.passes import ALL_PASSES
from graphs.worker.capture import capture_program
from graphs.worker.spread import SPREAD

STEPS = 2000
LOOP = (
    f"import torch\nw = torch.ones(2, requires_grad=True)\nfor i in range({STEPS}):\n"
    "    (w * w).sum().backward()\n"
)
MLP = f"""\
import torch
torch.manual_seed(0)
model = torch.nn.Sequential(
    torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1)
)
opt = torch.optim.SGD(model.parameters(), lr=0.01)
x, y = torch.randn(32, 8), torch.randn(32, 1)
for step in range({STEPS}):
    opt.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    opt.step()
"""
DATA = re.compile(r'<script type="application/json" class="ae-data">(.*?)</script>', re.S)


def captured(source: str) -> GraphRecord:
    """A counted loop captured with the scrubber's spread: 3 + 16 + 3 passes kept of 2,000."""
    recorder, outcome = capture_program(source, spread=SPREAD)
    return recorder.record(prints=outcome.prints, source=source)


@pytest.fixture(scope="module")
def record() -> GraphRecord:
    return captured(LOOP)


def test_ends_inwards_visits_every_position_once_ends_first():
    assert ends_inwards(5) == [0, 4, 2, 1, 3]
    assert ends_inwards(22)[:5] == [0, 21, 10, 5, 15]
    for count in range(0, 30):
        assert sorted(ends_inwards(count)) == list(range(count))


def test_all_22_kept_passes_are_offered_and_the_page_stays_small(record):
    assert len(record.passes) == 22
    view = Explorer(record)
    page = view.page()
    data = json.loads(DATA.search(page).group(1))
    titles = [f"Pass {step.index + 1}: (w * w).sum().backward()  line 4" for step in record.passes]
    assert data["views"] == ["all passes", *titles]
    assert "left out" not in page
    # Each view's gradient of w: every pass sends 2w = (2, 2); the "all passes" view shows the sum.
    w = next(node for node in data["nodes"].values() if node["name"] == "w")
    assert w["grads"][0]["rows"] == [[f"{2 * STEPS}.", f"{2 * STEPS}."]]
    assert [grad["rows"] for grad in w["grads"][1:]] == [[["2.", "2."]]] * 22
    assert len(page) < 1_000_000  # measured: 0.54 MB, of which the 23 figures are 0.2 MB


def test_a_page_without_room_for_every_figure_carries_a_spread_and_names_the_rest(record):
    view = Explorer(record)
    views = pass_views(record)
    ends = [0, 21, 10]  # positions in record.passes: first, last, middle
    budget = len(view.svg(ALL_PASSES)) + sum(len(view.svg(position)) for position in ends)
    embedded = embed(views, view.svg, budget)
    assert [index for _, index in embedded.views] == [ALL_PASSES, 0, 10, 21]  # in pass order
    assert embedded.svgs == [view.svg(index) for _, index in embedded.views]
    assert embedded.left_out == [p for p in range(22) if p not in ends]
    assert sum(map(len, embedded.svgs)) <= budget


def test_the_page_names_the_passes_it_left_out(record):
    view = Explorer(record)
    first_two = len(view.svg(ALL_PASSES)) + len(view.svg(0))
    page = Explorer(record, figure_bytes=first_two).page()
    assert json.loads(DATA.search(page).group(1))["views"][1:] == ["Pass 1: (w * w).sum().backward()  line 4"]
    left = ", ".join(str(p) for p in range(1, 22))
    assert f"21 kept passes left out to keep this page under {first_two / 1e6:g} MB of figures" in page
    assert f"view.svg(i) draws one, i in {left}" in page


def test_a_page_keeps_its_first_view_whatever_the_budget(record):
    embedded = embed(pass_views(record), Explorer(record).svg, budget=0)
    assert [index for _, index in embedded.views] == [ALL_PASSES]
    assert embedded.left_out == list(range(22))
    assert Explorer(record).figure_bytes == FIGURE_BYTES == 3_000_000


def test_a_large_record_is_left_out_of_the_page():
    """A 22-pass MLP: its record is 3 MB of JSON, which the page left out
    (measured: 3.9 MB with it, 1.05 MB without); its figures are all there."""
    record = captured(MLP)
    page = Explorer(record).page()
    data = json.loads(DATA.search(page).group(1))
    assert "record" not in data and data["record_left_out"] > RECORD_BYTES
    assert len(data["views"]) == 23 and len(page) < 1_500_000
    small = json.loads(DATA.search(Explorer(captured(LOOP)).page()).group(1))
    assert "record_left_out" not in small and len(small["record"]["passes"]) == 22
