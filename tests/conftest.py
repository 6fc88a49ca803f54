"""Shared fixtures.

`small_record` is written out by hand (not captured) so render, export and
table tests exercise the data model on its own. Its numbers are the real ones
for the program below, worked out by hand:

    w = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True)
    x = torch.tensor([[1.], [0.5]])
    z = torch.mm(w, x)          # [[2.], [5.]]
    loss = z.sum()              # 7.;  dloss/dz = 1;  w.grad = [[1, .5], [1, .5]]
    loss.backward()
"""

from __future__ import annotations

import pytest
import torch

from graphs import sandbox
from graphs.record.model import ChainLink, Edge, GraphRecord, Node, Pass
from graphs.worker import jobs

# Every test's worker runs the app's jobs, as the app's do (`graphs.api` says the same).
sandbox.serve(jobs.__name__)

SMALL_SOURCE = """\
import torch
w = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True)
x = torch.tensor([[1.], [0.5]])
z = torch.mm(w, x)
loss = z.sum()
loss.backward()
"""


@pytest.fixture(autouse=True)
def _default_device_undone():
    """A program run in process (the corpus, the loop tests, the CLI's own
    catalogue path) may call `torch.set_default_device`, which lasts as long as
    its process: in the app a worker's, here the test session. Undo it after
    every test, so no test sees another's device mode on torch's stack."""
    yield
    torch.set_default_device(None)


@pytest.fixture
def small_source() -> str:
    """The program `small_record` was worked out from."""
    return SMALL_SOURCE


@pytest.fixture
def small_record() -> GraphRecord:
    grads = {"n0": 1.0, "n1": 1.0, "n2": [[1.0], [1.0]], "n3": [[1.0, 0.5], [1.0, 0.5]]}
    order = {"n1": 1, "n2": 2, "n3": 3}
    return GraphRecord(
        nodes=[
            Node("n0", "output", None, "loss", [], "float32", value=7.0),
            Node(
                "n1",
                "op",
                "SumBackward0",
                "loss",
                [],
                "float32",
                value=7.0,
                attrs={"self_sym_sizes": "(2, 1)"},
            ),
            Node(
                "n2",
                "op",
                "MmBackward0",
                "z",
                [2, 1],
                "float32",
                value=[[2.0], [5.0]],
                attrs={"mat2_sym_sizes": "(2, 1)", "self_sym_strides": "(2, 1)"},
            ),
            Node("n3", "leaf", None, "w", [2, 2], "float32", value=[[1.0, 2.0], [3.0, 4.0]]),
        ],
        edges=[Edge("n0", "n1"), Edge("n1", "n2"), Edge("n2", "n3")],
        passes=[
            Pass(
                0,
                "backward",
                ["n0"],
                line=6,
                title="loss.backward()  line 6",
                seed=1.0,
                order=order,
                grads=grads,
                grad_after={"n3": grads["n3"]},
                sent={"n1": [[[1.0], [1.0]]], "n2": [[[1.0, 0.5], [1.0, 0.5]]]},
                chain={"n1": [ChainLink("n2", [[1.0, 1.0]])]},
            )
        ],
        source=SMALL_SOURCE,
    )
