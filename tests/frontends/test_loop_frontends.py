"""Loop folding wherever folding works: the player, share links, exports and the notebook.

A plain-loop RNN (tests/programs/loops/rnn_400_steps.py: `for t in range(steps)`
on line 12) opens folded by its loop everywhere a module-folded model does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from components.share import decode_folding, encode_folding
from graphs import explore
from graphs.api import run_in_process
from graphs.record.model import GraphRecord
from graphs.render import RenderOptions, dot_source, folding_of, player
from graphs.render.export import export

RNN = (Path(__file__).parents[1] / "programs" / "loops" / "rnn_400_steps.py").read_text()
LAST = "loop@L12@399"


@pytest.fixture(scope="module")
def record() -> GraphRecord:
    return run_in_process(RNN)


def test_a_share_link_keeps_loop_keys():
    keys = frozenset({"loop@L12", LAST, "net.blocks.3", "cell@499"})
    assert decode_folding(encode_folding(keys)) == keys
    assert decode_folding("loop@L12@x") is None  # damaged: the automatic view


def test_the_player_names_the_iteration_a_step_ran_in(record):
    """Backward walks back through the ×399 box: each step inside it names its iteration."""
    options = RenderOptions()
    folding = folding_of(record, options)
    assert LAST in folding.keys
    svg = export(dot_source(record, options), "svg").decode("utf-8")
    found = player.steps(record, None, svg, folded=folding.view)
    named = [re.search(r"\(in loop@L12(@\d+)?\)$", step.caption) for step in found]
    iterations = [int((match.group(1) or "@0")[1:]) for match in named if match]  # the first: `loop@L12`
    assert len(set(iterations)) == 399 and max(iterations) == 398
    assert iterations == sorted(iterations, reverse=True)  # from the last step back to the first


def test_an_export_draws_the_view_it_is_given(record):
    """`--expand`'s keys and a share link's reach the drawing: an iteration opened is a cluster."""
    dot = dot_source(record, RenderOptions(folding=frozenset({"loop@L12@5"})))
    svg = export(dot, "svg").decode("utf-8")
    assert svg.count('class="cluster"') == 1 and "×394" in svg and "×5" in svg
    assert "iteration 5" in svg


def test_the_notebook_opens_a_plain_loop_folded_and_expands_an_iteration():
    view = explore(RNN)
    assert LAST in view.open_modules()
    wider = view.expand("loop@L12@7")
    assert wider.open_modules() == view.open_modules() | {"loop@L12@7"}
    assert wider.collapse("loop@L12@7").open_modules() == view.open_modules()
    assert "for t in range(steps)" in view._repr_html_()
