"""What capture leaves out to keep big and long programs cheap, and what it keeps."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import torch

from graphs.api import run_in_process
from graphs.views.chain import edge_rules
from graphs.worker.capture import Recorder, capture_program

LOOP = """import torch
torch.manual_seed(0)
w = torch.randn(3, requires_grad=True)
x = torch.randn(5, 3)
opt = torch.optim.SGD([w], lr=0.1)
for step in range({steps}):
    opt.zero_grad()
    loss = ((x @ w - 1) ** 2).mean()
    loss.backward()
    opt.step()
"""


def test_a_long_loop_keeps_the_jacobians_of_its_first_pass_and_they_hold():
    record = run_in_process(LOOP.format(steps=200))
    first, *others = record.passes
    assert first.chain and not any(run.chain for run in others)
    assert all(run.sent and run.grads for run in record.passes)  # what was sent is still kept
    rules = [rule for op_id in first.chain for rule in edge_rules(record, first, op_id)]
    assert rules and all(rule.agrees for rule in rules if rule.agrees is not None)
    assert any(rule.jacobian is not None and np.size(rule.jacobian) > 1 for rule in rules)


def test_a_loop_the_window_keeps_whole_keeps_every_passes_jacobians():
    record = run_in_process(LOOP.format(steps=6))
    assert len(record.passes) == 6 and all(run.chain for run in record.passes)


def test_the_gpt2_shaped_model_s_record_is_well_under_50_mb_of_json():
    """Issue 11's bound: large tensors are summaries, so the 12-layer, 768-wide
    model's record is a few MB (the biases' and LayerNorms' gradients, listed)."""
    from graphs.catalogue import CATALOGUE

    (entry,) = [e for e in CATALOGUE if e.slug == "gpt2_small"]
    record = run_in_process(entry.source)
    assert len(record.nodes) > 600 and record.passes[0].grads
    assert len(record.to_json()) < 50_000_000


def _freed_without_the_collector(make) -> None:
    """`make()` returns a finished Recorder; dropping it must free it (and the
    tensors it held) at once, by reference counting: a cycle would keep a
    model's values and gradients until the collector's next full sweep.
    Once untimed first: torch's lazy imports (an optimizer's first step) leave
    cycles of their own behind, with the frames that were running then."""
    make()
    gc.collect()
    gc.disable()
    try:
        recorder = make()
        assert recorder.values and recorder.passes
        held = [weakref.ref(kept.tensor) for kept in recorder.values.values()]
        alive = weakref.ref(recorder)
        del recorder
        assert alive() is None
        assert not [ref for ref in held if ref() is not None]
    finally:
        gc.enable()


def test_a_finished_capture_of_a_model_is_freed_at_once():
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    x = torch.randn(4, 8)

    def make() -> Recorder:
        with Recorder() as recorder:
            recorder.modules.name_root(model)
            model(x).sum().backward()
        return recorder

    _freed_without_the_collector(make)


def test_a_finished_training_loop_is_freed_at_once():
    """Labels, counted loops, optimizer steps and cut tensors all point back at the Recorder."""
    source = LOOP.format(steps=50) + "y = (x @ w).detach()\nwith torch.no_grad():\n    z = x @ w\n"
    _freed_without_the_collector(lambda: capture_program(source)[0])
