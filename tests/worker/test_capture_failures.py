"""Whose failure is it? An exception the explorer's own code raises while a
program runs is never reported as the program's: it says it is ours, blames
no line of the program, and keeps what the program printed and the graph so
far. Torch's errors from the program's own calls stay the program's."""

from __future__ import annotations

import pytest
import torch

from graphs.api import run_in_process
from graphs.errors import ExplorerError, ProgramError
from graphs.worker import build, hooks, jobs, naming, recorder

PROGRAM = """\
import torch
w = torch.tensor([1.0, 2.0], requires_grad=True)
print("before the pass")
first = (w * 3).sum()
first.backward()
print("between the passes")
second = (w ** 2).sum()
second.backward()
print("after the passes")
"""
OURS = "; the program itself may be fine"


def failure(source: str) -> ProgramError:
    with pytest.raises(ProgramError) as caught:
        run_in_process(source)
    return caught.value


def broken(*_args, **_kwargs):
    raise IndexError("pop index out of range")


@pytest.fixture
def second_pass_fails(monkeypatch):
    """A hook of ours fails as the program's second pass (line 8) ends."""
    hold_leaf = hooks.PassHooks._hold_leaf

    def fail_in_the_second_pass(self, fn):
        if self.index == 1:
            raise IndexError("pop index out of range")
        hold_leaf(self, fn)

    monkeypatch.setattr(hooks.PassHooks, "_hold_leaf", fail_in_the_second_pass)


@pytest.mark.usefixtures("second_pass_fails")
def test_a_hook_of_ours_failing_is_the_explorers_failure_with_the_graph_so_far():
    error = failure(PROGRAM)
    assert isinstance(error, ExplorerError)
    assert error.line is None  # no line of the program is blamed
    assert str(error) == (
        "Autograd Explorer failed while recording line 8 (IndexError in hooks.py: pop index out of range)"
        + OURS
    )
    assert error.prints == ["before the pass", "between the passes"]
    assert error.record is not None and error.record.error == str(error)
    assert error.record.prints == error.prints
    assert error.record.passes[0].grad_after  # the first pass, whole
    assert {node.name for node in error.record.nodes if node.kind == "leaf"} == {"w"}


@pytest.mark.parametrize(
    ("owner", "name", "where", "line"),
    [
        (hooks, "saved_values", "hooks.py", 5),  # hooking a pass's nodes
        (recorder.Recorder, "_keep", "recorder.py", 2),  # inside the capture mode, on every op
        (naming.Namer, "value", "naming.py", 2),  # the naming call after an assignment
    ],
)
def test_each_part_of_the_explorer_failing_names_its_file_and_the_line_running(
    monkeypatch, owner, name, where, line
):
    def fail(*_args, **_kwargs):
        raise RuntimeError(f"{name} broke")

    monkeypatch.setattr(owner, name, fail)
    error = failure(PROGRAM)
    assert isinstance(error, ExplorerError) and error.line is None
    assert (
        str(error)
        == f"Autograd Explorer failed while recording line {line} (RuntimeError in {where}: {name} broke)"
        + OURS
    )


def test_building_the_record_failing_is_the_explorers_failure_with_the_prints(monkeypatch):
    monkeypatch.setattr(build._Builder, "pass_record", broken)
    error = failure(PROGRAM)
    assert isinstance(error, ExplorerError) and error.line is None
    assert str(error) == (
        "Autograd Explorer failed while drawing the graph "
        "(IndexError in build.py: pop index out of range)" + OURS
    )
    assert error.prints == ["before the pass", "between the passes", "after the passes"]


def test_a_failing_program_keeps_its_own_error_when_its_graph_cannot_be_drawn(monkeypatch):
    monkeypatch.setattr(build._Builder, "pass_record", broken)
    error = failure(PROGRAM.replace('print("after the passes")', "w.nonexistent"))
    assert not isinstance(error, ExplorerError)
    assert str(error) == "line 9: AttributeError: 'Tensor' object has no attribute 'nonexistent'"
    assert error.record is None


def test_setting_up_or_taking_down_the_capture_failing_is_the_explorers(monkeypatch):
    backward = torch.Tensor.backward
    monkeypatch.setattr(recorder.ModuleStack, "__exit__", broken)
    error = failure("x = 1\nprint(x)\n")
    # The rest of the capture was taken down all the same.
    assert torch.Tensor.backward is backward and torch._C._len_torch_function_stack() == 0
    assert isinstance(error, ExplorerError) and error.line is None
    assert str(error) == (
        "Autograd Explorer failed while running the program "
        "(IndexError in recorder.py: pop index out of range)" + OURS
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # torch raises inside an op the capture mode passed on
        (
            "import torch\nx = torch.ones(2)\ny = x @ torch.ones(3)\n",
            "line 3: RuntimeError: inconsistent tensor",
        ),
        # torch raises inside the program's backward(), which the explorer wraps
        ("import torch\nloss = torch.ones(2).sum()\nloss.backward()\n", "line 3: RuntimeError: element 0 of"),
        # the program's own hook raises inside the pass
        (
            "import torch\nw = torch.ones(2, requires_grad=True)\n"
            "w.register_hook(lambda g: 1 / 0)\n(w * 2).sum().backward()\n",
            "line 3: ZeroDivisionError: division by zero",
        ),
        # a counted loop's zip(), called for the program
        (
            "import torch\nw = torch.ones(2, requires_grad=True)\n"
            "for step in zip(range(3), 5):\n    (w * 2).sum().backward()\n",
            "line 3: TypeError: 'int' object is not iterable",
        ),
        # torch raises while a counted loop iterates the program's DataLoader
        (
            "import torch\nfrom torch.utils.data import DataLoader\nw = torch.ones(2, requires_grad=True)\n"
            "for batch in DataLoader([torch.ones(2), torch.ones(3)], batch_size=2):\n"
            "    (w * batch).sum().backward()\n",
            "line 4: RuntimeError: stack expects each tensor to be equal size",
        ),
        # print's own check of its arguments
        ("print(1, sep=2)\n", "line 1: TypeError: sep must be None or a string"),
    ],
)
def test_errors_of_the_programs_own_calls_stay_the_programs(source, expected):
    error = failure(source)
    assert not isinstance(error, ExplorerError)
    assert str(error).startswith(expected)


@pytest.mark.usefixtures("second_pass_fails")
def test_a_worker_sends_the_explorers_failure_with_its_graph_so_far():
    """What the worker side sends (graphs.worker.jobs.record): the same one line,
    and the partial record as the payload the server draws."""
    with pytest.raises(ExplorerError) as caught:
        jobs.record(PROGRAM)
    assert caught.value.line is None and str(caught.value).startswith("Autograd Explorer failed")
    assert caught.value.payload["error"] == str(caught.value)
    assert caught.value.payload["prints"] == ["before the pass", "between the passes"]
