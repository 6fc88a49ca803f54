"""The gate and loop iterations (graphs.record.loops): an honest record's
iterations pass; a forged one's path or kind that is not a loop's is refused in one line."""

from __future__ import annotations

import copy
import json

import pytest

from graphs.api import run_in_process
from graphs.record import decode
from graphs.sandbox import SandboxError
from graphs.views.folding import fold, view

PROGRAM = """import torch
w = torch.ones(2, requires_grad=True)
y = w
for step in range(3):
    y = y * 2
y.sum().backward()
"""


@pytest.fixture(scope="module")
def honest() -> dict:
    return json.loads(run_in_process(PROGRAM).to_json())


def test_an_honest_record_keeps_its_iterations(honest):
    record = decode.record(copy.deepcopy(honest))
    assert [(call.path, call.call, call.kind) for call in record.modules] == [
        ("loop@L4", step, "for loop") for step in range(3)
    ]
    assert fold(record, frozenset()).boxes[0].count == 3


@pytest.mark.parametrize(
    "path, kind",
    [
        ("net.fc1", "for loop"),  # a loop's kind on a module's path
        ("loop@L4", "Linear"),  # a loop's path on a module's kind
        ("loop@Lx", "for loop"),
        ("loop@L" + "9" * 5000, "while loop"),  # past what int() reads
        ("loop@L²", "for loop"),  # a digit to str.isdigit, not to int()
    ],
)
def test_a_forged_iteration_is_refused_in_one_line(honest, path, kind):
    forged = copy.deepcopy(honest)
    forged["modules"][0].update(path=path, kind=kind)
    for node in forged["nodes"]:
        if node.get("module") == "loop@L4" and node.get("call") == 0:
            node["module"] = path
    with pytest.raises(SandboxError, match="^the program's result could not be read: ") as caught:
        decode.record(forged)
    assert "loop@L<line>" in str(caught.value) and "\n" not in str(caught.value)


def test_a_loop_line_past_the_program_draws_its_path(honest):
    """A forged line number the program does not have: the box says the path, nothing fails."""
    forged = copy.deepcopy(honest)
    for call in forged["modules"]:
        call["path"] = "loop@L999"
    for node in forged["nodes"]:
        if node.get("module") == "loop@L4":
            node["module"] = "loop@L999"
    folded, _keys = view(decode.record(forged), frozenset())
    assert folded.boxes[0].title == "loop@L999"
