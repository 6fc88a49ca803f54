"""Checkpoints in a locked worker: `torch.save` to a path the wall refuses
goes to the worker's memory, and `torch.load` of that path reads it back."""

from __future__ import annotations

import pytest
import torch

from graphs.api import run_source
from graphs.errors import ExplorerError, ProgramError

SAVE_AND_LOAD = """\
import torch
torch.manual_seed(0)
model = torch.nn.Linear(3, 1)
loss = model(torch.randn(4, 3)).pow(2).mean()
loss.backward()
torch.save({"model": model.state_dict(), "step": 1}, "checkpoint.pt")
restored = torch.nn.Linear(3, 1)
restored.load_state_dict(torch.load("checkpoint.pt")["model"])
print(torch.equal(restored.weight, model.weight), torch.load("checkpoint.pt")["step"])
"""


def test_a_checkpoint_saved_in_the_worker_loads_back_and_the_graph_is_drawn():
    record = run_source(SAVE_AND_LOAD)
    assert record.prints == ["True 1"]
    namespace: dict = {}
    exec(SAVE_AND_LOAD.split("torch.save")[0], namespace)  # the same model, no file
    weight = record.named("model.weight")
    torch.testing.assert_close(torch.tensor(record.final_grads[weight.id]), namespace["model"].weight.grad)


def test_what_torch_cannot_pickle_is_the_programs_error_not_ours():
    with pytest.raises(ProgramError) as caught:
        run_source("import torch\ntorch.save(lambda: 1, 'f.pt')\n")
    assert not isinstance(caught.value, ExplorerError)
    assert caught.value.line == 2


def test_a_path_never_saved_is_torchs_own_error():
    with pytest.raises(ProgramError, match="^line 2: "):
        run_source("import torch\ntorch.load('missing.pt')\n")
