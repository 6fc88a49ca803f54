"""The corpus: tutorial-style programs (tests/corpus/*.py, written for this
project) run as real Python, in process and in the sandbox worker, and every
leaf and parameter gradient in the record equals what plain torch computes
when the same file is simply executed.

Names are the program's own: a tensor variable (`w`), a module's parameter
by its path (`model.0.weight`), a list's or dict's items (`params[1]`,
`params['0.weight']`).
"""

from __future__ import annotations

import contextlib
import functools
import io
from pathlib import Path

import pytest
import torch

from graphs.api import run_in_process, run_source
from graphs.record.model import GraphRecord
from tests.worker.test_spread import SPREAD_2000

CORPUS = sorted((Path(__file__).parents[1] / "corpus").glob("*.py"))
# Tensors of more than this many entries are summarised in the record, not listed.
LISTED = 1024


def plain_gradients(path: Path) -> list[tuple[set[str], torch.Tensor]]:
    """Run the file with plain `exec` and read `.grad` off the leaves it left
    behind, each with every name it goes by (`param` may be `net.out.bias`)."""
    namespace: dict = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
        exec(compile(path.read_text(), str(path), "exec"), namespace)
    found: dict[int, tuple[set[str], torch.Tensor]] = {}

    def add(name: str, tensor: torch.Tensor) -> None:
        if tensor.is_leaf and tensor.grad is not None:
            found.setdefault(id(tensor), (set(), tensor))[0].add(name)

    for name, value in namespace.items():
        if isinstance(value, torch.Tensor):
            add(name, value)
        elif isinstance(value, torch.nn.Module):
            for param_path, param in value.named_parameters():
                add(f"{name}.{param_path}", param)
        elif isinstance(value, list) and all(isinstance(item, torch.Tensor) for item in value):
            for i, item in enumerate(value):
                add(f"{name}[{i}]", item)
        elif isinstance(value, dict) and all(isinstance(item, torch.Tensor) for item in value.values()):
            for key, item in value.items():
                add(f"{name}[{key!r}]", item)
    # A sparse `.grad` (nn.Embedding(sparse=True)) is recorded as the numbers it stands for.
    return [(names, tensor.grad.to_dense()) for names, tensor in found.values()]


def assert_same_gradients(record: GraphRecord, expected: list[tuple[set[str], torch.Tensor]]) -> None:
    assert expected, "the program leaves no gradient to compare"
    # No two leaves share a name (a model built again under one variable, a
    # tensor bound again in a loop): the name the program ends with is the live one's.
    named = [node for node in record.nodes if node.kind == "leaf" and node.name is not None]
    leaves = {node.name: node for node in named if node.requires_grad}
    assert len(leaves) == sum(node.requires_grad for node in named), sorted(node.name for node in named)
    # A constant (an input batch) may go by one name in several passes; a leaf never does.
    leaves = {node.name: node for node in named if not node.requires_grad} | leaves
    for names, grad in expected:
        [name] = names & leaves.keys() or [None]
        assert name is not None, f"none of {sorted(names)} is a leaf of the record"
        if grad.numel() > LISTED:
            continue
        got = torch.tensor(record.final_grads[leaves[name].id], dtype=grad.dtype)
        torch.testing.assert_close(got, grad, rtol=1e-5, atol=1e-6, msg=lambda m, name=name: f"{name}: {m}")


@functools.cache
def expected(path: Path) -> list[tuple[set[str], torch.Tensor]]:
    return plain_gradients(path)


def test_the_corpus_is_large_enough():
    assert len(CORPUS) >= 40


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_in_process_gradients_equal_plain_torch(path: Path):
    assert_same_gradients(run_in_process(path.read_text()), expected(path))


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_worker_gradients_equal_plain_torch(path: Path):
    assert_same_gradients(run_source(path.read_text()), expected(path))


def test_a_long_loop_keeps_three_passes_at_each_end_a_spread_between_and_every_loss():
    record = run_source((Path(__file__).parents[1] / "corpus" / "06_long_training_loop.py").read_text())
    kept = [0, 1, 2, *SPREAD_2000, 1997, 1998, 1999]
    assert [run.index for run in record.passes] == kept
    assert [loss.index for loss in record.losses] == list(range(2000))
    assert record.losses[-1].value < record.losses[0].value
    # each kept pass shows the step its gradients made
    assert record.step_count == 2000 and [step.index for step in record.steps] == kept
    assert [step.after_pass for step in record.steps] == kept
    assert record.steps[0].rule == "w ← w − 0.05·grad"
    moved = {change.name for change in record.steps[-1].changes}
    assert moved == {"model.layer1.weight", "model.layer1.bias", "model.layer2.weight", "model.layer2.bias"}
