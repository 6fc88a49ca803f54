"""The catalogue's real models (issue 11): each runs in the locked worker under
the default limits, every parameter's gradient in its record is the one plain
torch computes, and its graph has the boxes the model's structure implies.

Each model runs once in the worker and once as plain Python for the whole
module (the fixtures below): a few seconds in all, not per test.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import torch

from bench.models import BUILDERS, build
from graphs.api import run_source
from graphs.catalogue import REAL_MODELS, REAL_MODELS_TOPIC, TOPICS
from graphs.record.model import GraphRecord, Summary
from graphs.worker.program import compile_program, run_code
from tests.app.test_app import graph_svg, node_count, start

SLUGS = [entry.slug for entry in REAL_MODELS]
# The server reads no larger result (SandboxConfig.max_result_mb).
MAX_RECORD_BYTES = 16 * 1024 * 1024


@pytest.fixture(scope="module")
def records() -> dict[str, GraphRecord]:
    """Each model captured the way the app and the CLI capture it: in a worker."""
    return {entry.slug: run_source(entry.source) for entry in REAL_MODELS}


@pytest.fixture(scope="module")
def plain() -> dict[str, dict[str, Any]]:
    """Each program's namespace after running it as plain Python and torch,
    single-threaded like the worker, so both sides add up in the same order."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return {entry.slug: run_code(compile_program(entry.source)).namespace for entry in REAL_MODELS}
    finally:
        torch.set_num_threads(threads)


def ops(record: GraphRecord) -> Counter[str]:
    return Counter(node.op for node in record.nodes if node.kind == "op")


def leaf(record: GraphRecord, name: str):
    [node] = [node for node in record.nodes if node.kind == "leaf" and node.name == name]
    return node


def uses(record: GraphRecord, name: str) -> int:
    """How many edges reach a leaf: one per op that used it."""
    node = leaf(record, name)
    return sum(1 for edge in record.edges if edge.dst == node.id)


def test_the_real_models_are_their_own_topic_last():
    assert list(TOPICS)[-1] == REAL_MODELS_TOPIC and TOPICS[REAL_MODELS_TOPIC] == "Real models"
    assert SLUGS == ["resnet18", "resnet50", "gpt2_small", "rnn_unrolled", "lstm"]
    for entry in REAL_MODELS:
        assert entry.seed == "" and "torch.manual_seed(0)" in entry.source
        assert entry.source.rstrip().splitlines()[-3] == "loss.backward()"


@pytest.mark.parametrize("slug", SLUGS)
def test_runs_in_the_worker_and_every_parameter_gets_torchs_gradient(slug, records, plain):
    record, namespace = records[slug], plain[slug]
    assert record.error is None and record.warnings == []
    (run,) = record.passes
    assert record.prints[0] == str(namespace["loss"])
    parameters = dict(namespace["model"].named_parameters())
    # the parameters; the inputs (images, tokens, batch norm's running statistics) are
    # leaves too, drawn as requires_grad=False
    leaves = [node for node in record.nodes if node.kind == "leaf" and node.requires_grad]
    assert sorted(node.name for node in leaves) == sorted(f"model.{path}" for path in parameters)
    for node in leaves:
        expected = parameters[node.name.removeprefix("model.")].grad
        stats = run.grads[node.id]
        if not isinstance(stats, Summary):
            torch.testing.assert_close(torch.tensor(stats), expected, rtol=1e-5, atol=1e-7, msg=node.name)
        else:  # too large to list: its statistics
            low, high = torch.aminmax(expected)
            assert (stats.min, stats.mean, stats.max) == pytest.approx(
                (low.item(), expected.mean().item(), high.item()), rel=1e-4, abs=1e-9
            ), node.name


def test_resnets_have_their_convolutions_and_residual_additions(records):
    resnet18, resnet50 = ops(records["resnet18"]), ops(records["resnet50"])
    # stem + 8 blocks of 2 + 3 projection shortcuts; 8 residual additions.
    assert resnet18["ConvolutionBackward0"] == resnet18["NativeBatchNormBackward0"] == 1 + 16 + 3
    assert resnet18["AddBackward0"] == 8
    # stem + 16 bottlenecks of 3 + 4 projection shortcuts; 16 residual additions.
    assert resnet50["ConvolutionBackward0"] == resnet50["NativeBatchNormBackward0"] == 1 + 48 + 4
    assert resnet50["AddBackward0"] == 16


def test_gpt_has_twelve_blocks_of_causal_attention_and_a_tied_embedding(records):
    record = records["gpt2_small"]
    counted = ops(record)
    assert counted["SoftmaxBackward0"] == counted["MaskedFillBackward0"] == counted["GeluBackward0"] == 12
    assert counted["NativeLayerNormBackward0"] == 2 * 12 + 1
    assert counted["AddBackward0"] == 2 * 12 + 1  # two residuals a block, token + position embedding
    assert uses(record, "model.wte.weight") == 2  # the embedding, and the output layer tied to it
    assert len(record.to_json()) < MAX_RECORD_BYTES


def test_the_unrolled_rnn_repeats_its_cell_500_times_on_shared_weights(records):
    record = records["rnn_unrolled"]
    steps = 500
    # Each step: two addmm (each with its weight's transpose), their sum, tanh; then the readout and loss.
    assert ops(record) == Counter(
        AddmmBackward0=2 * steps + 1, TBackward0=2 * steps + 1, AddBackward0=steps, TanhBackward0=steps,
        MseLossBackward0=1,
    )  # fmt: skip
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        assert uses(record, f"model.cell.{name}") == steps


def test_the_lstm_has_its_gates_at_every_one_of_200_steps(records):
    record = records["lstm"]
    steps = 200
    counted = ops(record)
    assert counted["SigmoidBackward0"] == 3 * steps  # input, forget, output gates
    assert counted["TanhBackward0"] == 2 * steps  # the candidate, and the cell state's
    assert counted["SplitBackward0"] == steps  # one linear map cut into four gates
    assert counted["CatBackward0"] == steps - 1  # [x, h]: the first h is zeros
    assert uses(record, "model.cell.gates.weight") == steps


@pytest.mark.parametrize("slug", SLUGS)
def test_the_benchmark_builds_the_catalogue_program_s_own_model(slug, plain):
    """bench/models.py has no copy of these models: it runs the program's text."""
    workload = build(slug)
    program_model = plain[slug]["model"]
    assert type(workload.model).__name__ == type(program_model).__name__
    # Parameters only: the program's forward pass has moved batch norm's running statistics since.
    for (name, ours), (_, theirs) in zip(
        workload.model.named_parameters(), program_model.named_parameters(), strict=True
    ):
        assert torch.equal(ours, theirs), name


def test_the_benchmark_s_small_cnn_and_rnn_come_from_the_catalogue_too():
    for name, model_class in (("cnn", "ResNet18"), ("rnn", "UnrolledRNN")):
        workload = BUILDERS[name]()
        assert type(workload.model).__name__ == model_class
        assert type(workload.model).__module__.startswith("catalogue_")


@pytest.mark.parametrize("slug", SLUGS)
def test_picking_a_real_model_in_the_app_draws_its_graph(slug):
    at = start()
    at.button(key=f"pick_{slug}").click().run()
    assert not at.exception and not at.error
    assert at.session_state["entry"] == slug
    svg = graph_svg(at)
    assert node_count(svg) > 0 and ">loss<" in svg
