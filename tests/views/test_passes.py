"""One home for gradients: every view of a pass reads `Pass` through `graphs.views.passes`,
and each pass's `chain` holds the local Jacobians torch used.

Numbers are the catalogue programs' own: the accumulation lesson's
`.grad` 10 -> 11 -> 1, seed 001's `autograd.grad` passes, and Jacobians
checked against `torch.autograd.functional.jacobian` of the same op on the
recorded values.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pytest
import torch

from graphs.api import run_in_process
from graphs.catalogue import TEACHING, get
from graphs.record.model import GraphRecord
from graphs.render import RenderOptions, dot_source
from graphs.views.chain import edge_rules, full_jacobians, partials, revealed_row
from graphs.views.passes import ALL_PASSES, PassView
from graphs.views.pitfalls import NON_LEAF_NOTE, node_notes


@functools.cache
def record(slug: str) -> GraphRecord:
    return run_in_process(get(slug).source)


def node_line(dot: str, node_id: str) -> str:
    return next(line for line in dot.splitlines() if line.strip().startswith(f"{node_id} ["))


def test_accumulation_shows_grad_after_and_what_each_pass_sent():
    rec = record("accumulation")
    w = rec.named("w").id
    assert [run.grad_after[w] for run in rec.passes] == [[10.0], [11.0], [1.0]]
    assert [run.grads[w] for run in rec.passes] == [[10.0], [1.0], [1.0]]
    assert [PassView(rec, i).facts(w).grad_after for i in range(3)] == [[10.0], [11.0], [1.0]]
    second = node_line(dot_source(rec, RenderOptions(pass_index=1)), w)
    assert ">sent<" in second and ">.grad<" in second and ">11.<" in second
    first = node_line(dot_source(rec, RenderOptions(pass_index=0)), w)
    assert ">sent = .grad<" in first and ">10.<" in first


def test_the_default_view_is_the_last_pass_only_and_all_passes_is_explicit():
    rec = record("accumulation")
    last = dot_source(rec, RenderOptions())
    assert last == dot_source(rec, RenderOptions(pass_index=2))
    everything = dot_source(rec, RenderOptions(pass_index=ALL_PASSES))
    badge = re.compile(r'BGCOLOR="#f29c1f"')
    assert not badge.search(everything)  # step numbers belong to one pass
    view = PassView(rec, ALL_PASSES)
    w = rec.named("w").id
    assert view.facts(w).grad is None and view.facts(w).grad_after == [1.0]  # .grad at the end
    assert view.title == "All 3 passes"


def test_autograd_grad_leaves_grad_after_null_and_titles_name_the_call():
    rec = record("second_derivatives")
    x1 = rec.named("x1").id
    assert rec.passes[0].title == "autograd.grad(y, x1, retain_graph=True, create_graph=True)  line 8"
    assert rec.passes[3].title == "autograd.grad(x1_1, x2)  line 14"
    for run in rec.passes:
        assert all(value is None for value in run.grad_after.values())
    assert rec.passes[0].grad_after == {x1: None} and rec.passes[0].grads[x1] == 7.0
    line = node_line(dot_source(rec, RenderOptions(pass_index=0)), x1)
    assert ".grad None" in line


def test_backward_titles_and_the_output_seed_in_each_pass():
    rec = record("weighted_vjp")
    (run,) = rec.passes
    assert re.fullmatch(r"z\.backward\(.+\)  line \d+", run.title), run.title
    out = run.roots[0]
    assert run.grads[out] == run.seed == pytest.approx([0.1, 1.0, 0.0001])
    line = node_line(dot_source(rec, RenderOptions(pass_index=0)), out)
    assert ">grad<" in line and ">1.0000e-01<" in line


SMALL = [e for e in TEACHING if e.slug != "two_layer_batch"]  # its 100-row batch is over 64


@pytest.mark.parametrize("entry", SMALL, ids=[e.slug for e in SMALL])
def test_chain_rule_holds_on_every_edge_of_every_catalogue_pass(entry):
    """Jᵀ · incoming equals what autograd sent, wherever a Jacobian was kept."""
    rec = record(entry.slug)
    checked = 0
    for run in rec.passes:
        for op_id in run.chain:
            for rule in edge_rules(rec, run, op_id):
                if rule.agrees is not None:
                    assert rule.agrees, (entry.slug, run.title, op_id, rule)
                    checked += 1
    assert checked


def _jacobian_of(fn, *inputs) -> list[np.ndarray]:
    found = torch.autograd.functional.jacobian(fn, tuple(torch.tensor(x) for x in inputs))
    return [j.reshape(-1, torch.tensor(x).numel()).numpy() for j, x in zip(found, inputs, strict=True)]


def _links(rec: GraphRecord, op: str, name: str | None = None):
    node = next(n for n in rec.nodes if n.op == op and (name is None or n.name == name))
    return node, {link.input: np.asarray(link.jacobian) for link in rec.passes[0].chain[node.id]}


def test_mm_and_sigmoid_jacobians_equal_torch_functional_jacobian():
    rec = record("two_layer_sigmoid")
    w1, w2, y_1 = rec.named("w1"), rec.named("w2"), rec.named("y_1")
    x = [[1.0]]
    _, links = _links(rec, "MmBackward0", "z_1")
    (expected,) = _jacobian_of(lambda w: torch.mm(w, torch.tensor(x)), w1.value)
    np.testing.assert_allclose(links[w1.id], expected, rtol=1e-6)
    mm2, links = _links(rec, "MmBackward0", "z_2")
    by_w2, by_y1 = _jacobian_of(torch.mm, w2.value, y_1.value)
    np.testing.assert_allclose(links[w2.id], by_w2, rtol=1e-6)
    np.testing.assert_allclose(links[next(k for k in links if k != w2.id)], by_y1, rtol=1e-6)
    sig, links = _links(rec, "SigmoidBackward0", "y_1")
    (expected,) = _jacobian_of(torch.sigmoid, rec.named("z_1").value)
    np.testing.assert_allclose(next(iter(links.values())), expected, rtol=1e-5)


def test_pow_sum_and_mul_jacobians_equal_torch_functional_jacobian():
    rec = record("sum_of_squares")
    a, b = rec.named("a"), rec.named("b")
    _, links = _links(rec, "PowBackward0")
    (expected,) = _jacobian_of(lambda t: t**2, a.value)
    np.testing.assert_allclose(links[a.id], expected)
    _, links = _links(rec, "SumBackward0")
    (expected,) = _jacobian_of(torch.sum, b.value)
    np.testing.assert_allclose(next(iter(links.values())), expected)


def test_fan_out_shows_each_partial_and_their_sum():
    rec = run_in_process(
        "import torch\na = torch.tensor([2.0, 3.0], requires_grad=True)\nb = a * a + a\nb.sum().backward()\n"
    )
    (run,) = rec.passes
    leaf = rec.named("a").id
    arrived = partials(rec, run, leaf)
    assert len(arrived) == 3  # twice from the product, once from the sum
    np.testing.assert_allclose(np.sum([p.grad for p in arrived], axis=0), run.grads[leaf])
    np.testing.assert_allclose(run.grads[leaf], [5.0, 7.0])  # 2a + 1


def test_the_full_jacobian_is_composed_from_the_local_ones_and_equals_torch():
    rec = record("jacobian_rows")
    rows = [[2.0, 1.0, 0.0], [0.0, 1.0, 1.0], [0.0, 0.0, 27.0]]  # seed 002's Jacobian of b
    for position, run in enumerate(rec.passes):
        (matrix,) = full_jacobians(rec, run).values()
        np.testing.assert_allclose(matrix, rows)
        assert revealed_row(run) == position
    rec = record("matmul_ones")
    x, w = rec.named("x"), rec.named("w")
    found = full_jacobians(rec, rec.passes[0])
    by_x, by_w = _jacobian_of(lambda a, b: a @ b.T, x.value, w.value)
    np.testing.assert_allclose(found[x.id], by_x)
    np.testing.assert_allclose(found[w.id], by_w)


def test_a_non_leaf_grad_read_is_noted_on_its_node():
    source = (
        "import torch\nx = torch.ones(2, requires_grad=True)\ny = x * 3\ny.sum().backward()\nprint(y.grad)\n"
    )
    rec = run_in_process(source)
    y = rec.named("y").id
    assert node_notes(rec) == {y: NON_LEAF_NOTE}
    assert NON_LEAF_NOTE.text.replace(".grad", "").split(":")[0].strip() in node_line(dot_source(rec), y)
