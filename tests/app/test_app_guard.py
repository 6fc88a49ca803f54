"""A failure inside the explorer is the explorer's: one line, the rest of the page drawn."""

from __future__ import annotations

import components.inspector
from components import pipeline
from tests.app.test_app import graph_svg, pane, run_program, start

PROGRAM = "import torch\nq = torch.tensor(3.0, requires_grad=True)\nr = q * q\nr.backward()\n"


def test_a_view_that_fails_is_one_line_and_the_graph_is_still_drawn(monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("n7")

    monkeypatch.setattr(components.inspector, "inspector", broken)
    at = pane(run_program(start(), PROGRAM), "inspect")
    assert not at.exception
    (error,) = [e.value for e in at.error]
    assert error == (
        "Autograd Explorer failed while showing the side pane (KeyError); the program itself may be fine."
    )
    assert "MulBackward0" in graph_svg(at)


def test_a_failure_reading_the_result_is_not_blamed_on_a_program_line(monkeypatch):
    def broken(source, **watching):  # the page passes its progress callback and Stop
        raise IndexError("pop index out of range")

    monkeypatch.setattr(pipeline, "run_source", broken)
    at = run_program(start(), PROGRAM + "# changed\n")
    assert not at.exception
    (error,) = [e.value for e in at.error]
    assert "Autograd Explorer failed while reading the program" in error and "IndexError" in error
    assert "line " not in error and "pop index" not in error
