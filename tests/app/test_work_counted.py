"""The work the app does for a program, counted: each fact is computed once.

A failing program costs one worker start (its partial graph comes back with
the error, from the same call), and a rerun with nothing changed runs `dot`
for no figure, a failing program's included: both are answered from the
app's cache (`components.cache`). The counts are of calls, not of time.
"""

from __future__ import annotations

import importlib

import pytest

from components import cache
from graphs import sandbox
from tests.app.test_app import run_program, start

# The module, not the function `graphs.render.export` might also name.
EXPORT = importlib.import_module("graphs.render.export")
FAILING = (  # backward twice: fails on line 5, with the graph so far
    "import torch\nx = torch.ones(2, requires_grad=True)\ny = (x * x).sum()\ny.backward()\ny.backward()\n"
)
SUCCEEDING = "import torch\na = torch.tensor(3.0, requires_grad=True)\nsquare = a * a\nsquare.backward()\n"


@pytest.fixture
def counts(monkeypatch) -> dict[str, int]:
    """Calls of the worker (`graphs.sandbox.call`) and of `dot` (the subprocess
    `graphs.render.export` starts), under an empty cache of the app's own."""
    found = {"worker": 0, "dot": 0}

    def counting(name: str, real):
        def wrapper(*args, **kwargs):
            found[name] += 1
            return real(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(sandbox, "call", counting("worker", sandbox.call))
    monkeypatch.setattr(EXPORT, "_run", counting("dot", EXPORT._run))
    monkeypatch.setattr(cache, "STORE", cache.Store(cache.budget_bytes()))
    return found


def test_a_failing_program_costs_one_worker_start(counts):
    at = start()
    before = counts["worker"]
    at = run_program(at, FAILING)
    assert not at.exception and at.error  # it failed, and said so
    assert [el for el in at.get("bidi_component") if el.key == "failed_graph"]  # its graph so far
    assert counts["worker"] - before == 1
    at.run()  # a rerun: the run is cached
    assert counts["worker"] - before == 1


@pytest.mark.parametrize("source", [SUCCEEDING, FAILING], ids=["succeeding", "failing"])
def test_a_rerun_with_nothing_changed_runs_no_dot(counts, source):
    at = run_program(start(), source)
    assert not at.exception and bool(at.error) == (source is FAILING)
    first = counts["dot"]
    assert first > 0  # the first run drew the figure
    svgs = [element.proto.json for element in at.get("bidi_component")]
    at.run()
    assert not at.exception
    assert counts["dot"] == first
    assert [element.proto.json for element in at.get("bidi_component")] == svgs  # the same figure
