"""The LSTM lesson's numbers (graphs/catalogue/entries.py and entries_zh.py):
how fast its gradient vanishes against the plain RNN's, and what a forget-gate
bias of 3 changes, measured here on the lessons' own programs.

Each step's gradient is that of the state the cell hands on (h, and c for the
LSTM: the larger norm), with its norm taken in float64 so a tiny gradient is
not rounded to zero twice. Plain torch on one thread, like the worker."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from graphs.api import run_source
from graphs.catalogue import get
from graphs.catalogue.entries_zh import ZH
from graphs.views.diagnosis import layers
from graphs.worker.program import compile_program, run_code

FORGET = slice(32, 64)  # the forget gate's rows of the gates' Linear (chunk order i, f, g, o)
TINY = 1e-6


def namespace(slug: str) -> dict:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return run_code(compile_program(get(slug).source)).namespace
    finally:
        torch.set_num_threads(threads)


def step_norms(slug: str, forget_bias: float | None = None) -> tuple[list[float], float]:
    """Each step's state-gradient norm, and the forget gates' mean (LSTM; 0 for the RNN)."""
    found = namespace(slug)
    model, sequence, target = found["model"], found["sequence"], found["target"]
    if forget_bias is not None:
        with torch.no_grad():
            model.cell.gates.bias[FORGET] = forget_bias
    states, forgets = [], []
    h = c = torch.zeros(sequence.shape[1], 32)
    for x_t in sequence:
        if slug == "lstm":
            gates = model.cell.gates(torch.cat([x_t, h], dim=1))
            forgets.append(torch.sigmoid(gates[:, FORGET]).mean().item())
            h, c = model.cell(x_t, (h, c))
            kept = (h, c)
        else:
            h = model.cell(x_t, h)
            kept = (h,)
        for state in kept:
            state.retain_grad()
        states.append(kept)
    F.mse_loss(model.readout(h), target).backward()
    norms = [max(state.grad.double().norm().item() for state in kept) for kept in states]
    return norms, (sum(forgets) / len(forgets) if forgets else 0.0)


def steps_back(norms: list[float], fraction: float = TINY) -> int:
    """How many steps back from the last the gradient first falls to `fraction` of the last's."""
    last = len(norms) - 1
    return next(last - t for t in range(last, -1, -1) if norms[t] <= fraction * norms[last])


@pytest.fixture(scope="module")
def measured() -> dict:
    rnn, _ = step_norms("rnn_unrolled")
    lstm, forget = step_norms("lstm")
    biased, biased_forget = step_norms("lstm", forget_bias=3.0)
    return dict(rnn=rnn, lstm=lstm, forget=forget, biased=biased, biased_forget=biased_forget)


def test_with_random_weights_the_lstm_vanishes_as_fast_as_the_rnn(measured):
    assert round(measured["forget"], 2) == 0.50
    assert steps_back(measured["lstm"]) == steps_back(measured["rnn"]) == 23
    # The first 3 steps' gradients are below float32's smallest number: exactly zero.
    assert measured["lstm"][:3] == [0.0] * 3 and measured["lstm"][3] > 0


def test_a_forget_gate_bias_of_3_keeps_the_first_step_alive(measured):
    assert round(measured["biased_forget"], 2) == 0.95
    assert round(100 * measured["biased"][0] / measured["biased"][-1], 1) == 3.6
    with pytest.raises(StopIteration):  # no step falls to 1e-6 of the last's
        steps_back(measured["biased"])


def test_the_diagnosis_sees_the_same_23_steps():
    """The worker's record: each step's layer (its call of `model.cell`) against the last's."""
    for slug, last in (("rnn_unrolled", 499), ("lstm", 199)):
        record = run_source(get(slug).source)
        nodes = {node.id: node for node in record.nodes}
        norms = {
            nodes[layer.node].call: layer.norm
            for layer in layers(record, record.passes[0])
            if nodes[layer.node].module == "model.cell"
        }
        fallen = max(t for t, norm in norms.items() if norm <= TINY * norms[last])
        assert last - fallen == 23
        assert [finding.kind for finding in record.findings] == ["vanishing"]


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        (
            get("lstm").explanation,
            ["average 0.50", "within 23 steps", "also 23 steps", "first 3 steps", "average 0.95", "3.6%"],
        ),
        (ZH["lstm"]["explanation"], ["0.50", "23 步之内", "同样是 23 步", "最前面的 3 步", "0.95", "3.6%"]),
    ],
    ids=["en", "zh"],
)
def test_the_lesson_states_these_numbers(text, numbers):
    for number in numbers:
        assert number in text
