"""Quiet stretches of a long loop (graphs.worker.loops): a loop of known length runs
its middle iterations without capture, and the record is the same as when
every pass is captured in full -- on every corpus program and catalogue
entry, and on loops written to trip the guarantees up."""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path

import pytest
import torch

from graphs.catalogue import TEACHING
from graphs.errors import ProgramError
from graphs.worker.capture import capture_program

CORPUS = sorted((Path(__file__).parents[1] / "corpus").glob("*.py"))


def record_of(source: str, counted_loops: bool) -> dict:
    torch.manual_seed(0)
    recorder, outcome = capture_program(source, counted_loops=counted_loops)
    return recorder.record(prints=outcome.prints, source=source).to_dict()


def assert_same(source: str) -> None:
    try:
        full = record_of(source, counted_loops=False)
    except ProgramError as error:
        with pytest.raises(ProgramError, match=str(error).split(":")[0]):
            record_of(source, counted_loops=True)
        return
    assert record_of(source, counted_loops=True) == full


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_corpus_records_equal_full_capture(path: Path):
    assert_same(path.read_text())


@pytest.mark.parametrize("entry", TEACHING, ids=lambda e: e.slug)
def test_catalogue_records_equal_full_capture(entry):
    assert_same(entry.source)


TRAIN = """import torch
torch.manual_seed(0)
w = torch.randn(3, requires_grad=True)
x = torch.randn(5, 3)
opt = torch.optim.SGD([w], lr=0.01)
{body}
"""

LOOPS = {
    "range": "for step in range(40):\n    opt.zero_grad()\n    loss = ((x @ w - 1) ** 2).mean()\n"
    "    loss.backward()\n    opt.step()",
    "enumerate over a list": "for i, row in enumerate(list(x) * 8):\n    loss = (row @ w).sin()\n"
    "    loss.backward()\n    opt.step()\n    opt.zero_grad()",
    "zip": "for a, b in zip(range(30), x.repeat(6, 1)):\n    (b @ w * a).backward()",
    "nested, epochs of batches": "for epoch in range(6):\n    for row in x:\n"
    "        (row @ w).exp().backward()\n        opt.step()\n"
    "    opt.zero_grad()",
    "helper function": "def train_step():\n    opt.zero_grad()\n    loss = (x @ w).pow(2).sum()\n"
    "    loss.backward()\n    opt.step()\n    return loss\n\n"
    "for step in range(40):\n    last = train_step()",
    "step before backward": "for step in range(40):\n    opt.step()\n    opt.zero_grad()\n"
    "    (x @ w).tanh().sum().backward()",
    "graph spanning two iterations": "prev = w * 1\nfor step in range(40):\n    cur = (x @ w).sin()\n"
    "    (cur.sum() + prev.sum()).backward(retain_graph=True)\n"
    "    prev = cur",
    "early stop": "for step in range(200):\n    loss = ((x @ w - 1) ** 2).mean()\n    loss.backward()\n"
    "    opt.step()\n    opt.zero_grad()\n    if loss < 0.5:\n        break",
    "continue before backward": "for step in range(40):\n    if step % 7 == 3:\n        continue\n"
    "    (x @ w).sum().backward()",
    "backward that is not torch's": "class Value:\n    def backward(self):\n        pass\n\n"
    "for step in range(40):\n    Value().backward()\n"
    "    if step in (0, 1, 2, 38):\n        (x @ w).sum().backward()",
    "a pass only on some iterations": "for step in range(40):\n    if step % 2:\n"
    "        (x @ w).sum().backward()",
    "autograd.grad": "for step in range(40):\n    (g,) = torch.autograd.grad((x @ w).pow(2).sum(), [w])\n"
    "    with torch.no_grad():\n        w -= 0.01 * g",
    "while loop": "step = 0\nwhile step < 40:\n    (x @ w).sum().backward()\n    step += 1",
    "exit inside the loop": "for step in range(40):\n    (x @ w).sum().backward()\n    if step == 20:\n"
    "        exit()",
    "many steps after one pass": "(x @ w).sum().backward()\nfor step in range(12):\n    opt.step()\n"
    "for step in range(40):\n    (x @ w).sum().backward()\n    opt.step()",
    "a fresh leaf each iteration": "v = w.detach().clone().requires_grad_()\nfor step in range(40):\n"
    "    loss = (x @ v).pow(2).mean()\n    loss.backward()\n"
    "    v = (v - 0.01 * v.grad).detach().requires_grad_()",
}


@pytest.mark.parametrize("body", LOOPS.values(), ids=LOOPS.keys())
def test_tricky_loops_equal_full_capture(body: str):
    assert_same(TRAIN.format(body=body))


@pytest.mark.parametrize(
    "name",
    [
        "range",
        "enumerate over a list",
        "zip",
        "nested, epochs of batches",
        "helper function",
        "autograd.grad",
        "a fresh leaf each iteration",
    ],
)
def test_counted_loops_do_run_quietly(name: str):
    """The equality above is not met by capturing everything: these loops skip most passes."""
    recorder, _ = capture_program(TRAIN.format(body=LOOPS[name]))
    assert recorder.loops.stack == []
    assert len(recorder.losses) - len(recorder.passes) >= 20


def test_memory_stays_flat_over_20000_steps():
    """No pass's graph outlives it (C++ memory, seen through weak references to
    each loss), and Python memory grows by one Loss per pass, nothing more."""
    body = LOOPS["range"].replace("range(40)", "range({steps})") + "\n    graphs.append(weakref.ref(loss))"
    source = TRAIN.format(body="import weakref\ngraphs = []\n" + body)

    def run(steps: int) -> tuple[int, int]:
        gc.collect()
        tracemalloc.start()
        _, outcome = capture_program(source.format(steps=steps))
        size = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        gc.collect()
        return size, sum(ref() is not None for ref in outcome.namespace["graphs"])

    run(50)  # first calls import and cache what every later run shares
    (small, _), (large, alive) = run(2_000), run(20_000)
    assert alive <= 7  # the kept passes' roots, and the program's own last `loss`
    assert (large - small) / 18_000 < 300  # a Loss is about 150 bytes with its list slot
