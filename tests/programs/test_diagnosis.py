"""The diagnosis on the catalogue: each lesson of "Why isn't it learning?" is
diagnosed with its kind at its line, and the seed lessons and the real models
with nothing but what is true of them."""

from __future__ import annotations

import gettext
import html

import pytest

from components.i18n import DOMAIN, LOCALE_DIR
from graphs.api import run_source
from graphs.catalogue import DIAGNOSIS, REAL_MODELS, TEACHING, get
from graphs.render import RenderOptions, dot_source
from graphs.views.folding import UNFOLDED
from graphs.views.pitfalls import node_notes

# Each lesson's findings, (kind, line, op), in the order they happened.
EXPECTED = {
    "deep_sigmoid": [("vanishing", 9, "AddmmBackward0")],
    "deep_relu": [],
    "nan_log": [("nan", 5, "log")],
    "nan_sqrt": [("inf", 5, "SqrtBackward0")],
    "nan_division": [("nan", 5, "div")],
    # Pass 0 explodes inside its backward; the step it took overflows pass 1's forward.
    "exploding_rnn": [("exploding", 11, "AddBackward0"), ("nan", 11, "matmul")],
    "exploding_rnn_clipped": [("exploding", 11, "AddBackward0")],
    "dead_relu": [("dead_relu", 11, "ReluBackward0")],
}
# Gradients through 500 tanh steps (and 200 LSTM steps with random gates) truly vanish:
# within 23 steps back the gradient is 1e-6 of the last step's, and the first steps get exactly 0.
VANISHING_MODELS = {"rnn_unrolled", "lstm"}


def test_every_lesson_of_the_topic_is_held_to_its_diagnosis():
    assert set(EXPECTED) == {entry.slug for entry in DIAGNOSIS}


@pytest.mark.parametrize("slug", list(EXPECTED))
def test_each_lesson_is_diagnosed_with_its_kind_at_its_line(slug):
    record = run_source(get(slug).source)
    assert [(f.kind, f.line, f.op) for f in record.findings] == EXPECTED[slug]
    for finding in record.findings:
        assert finding.node is not None and record.node(finding.node).line == finding.line


def test_the_numbers_behind_the_findings():
    (vanishing,) = run_source(get("deep_sigmoid").source).findings
    assert vanishing.norm <= 1e-4 * vanishing.reference
    (dead,) = run_source(get("dead_relu").source).findings
    assert (dead.units, dead.dead, dead.batch) == (8, 8, 16)
    (inf,) = run_source(get("nan_sqrt").source).findings
    assert {operand.role: operand.value for operand in inf.operands}["value"] == 0.0  # sqrt(0) = 0


def test_clipping_keeps_every_loss_finite_and_without_it_they_go_nan():
    clipped = run_source(get("exploding_rnn_clipped").source)
    assert all(loss.value == loss.value for loss in clipped.losses)
    assert [loss.value != loss.value for loss in run_source(get("exploding_rnn").source).losses][1:] == [
        True
    ] * 5


@pytest.mark.parametrize("entry", TEACHING, ids=lambda entry: entry.slug)
def test_the_seed_lessons_have_no_finding(entry):
    assert run_source(entry.source).findings == []


@pytest.mark.parametrize("entry", REAL_MODELS, ids=lambda entry: entry.slug)
def test_the_real_models_have_no_finding_but_the_long_recurrent_ones_vanishing(entry):
    kinds = [finding.kind for finding in run_source(entry.source).findings]
    assert kinds == (["vanishing"] if entry.slug in VANISHING_MODELS else [])


@pytest.mark.parametrize(
    ("slug", "note", "zh"),
    [
        ("nan_log", "NaN first appears here (forward)", "NaN 首次出现在这里（前向传播）"),
        ("nan_sqrt", "Inf first appears here (backward)", "Inf 首次出现在这里（反向传播）"),
        (
            "deep_sigmoid",
            "vanishing gradient: 9.4e-05 of the output layer's",
            "梯度消失：只有输出层的 9.4e-05",
        ),
        ("dead_relu", "dead ReLU: 8 of 8 units get no gradient", "死亡 ReLU：8 个单元中有 8 个没有梯度"),
    ],
)
def test_the_graph_marks_each_finding_on_its_node_in_both_languages(slug, note, zh):
    record = run_source(get(slug).source)
    (finding, *_) = record.findings
    marked = node_notes(record)[finding.node]
    assert marked.text == note
    assert marked.translated(gettext.translation(DOMAIN, LOCALE_DIR, languages=["zh"]).gettext) == zh
    assert html.escape(note) in dot_source(record, RenderOptions(folding=UNFOLDED))
