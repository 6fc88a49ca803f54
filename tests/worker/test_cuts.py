"""cuts: an op's inputs that do not require grad (constants) and tensors cut
from the graph by detach() or torch.no_grad(), drawn as no-grad edges."""

from __future__ import annotations

import gc
import math

import pytest
import torch

from graphs.api import run_in_process
from graphs.record.model import NoGradEdge
from graphs.worker.cuts import Cuts


def _cuts() -> Cuts:
    return Cuts(lambda: 7)


def test_constant_inputs_of_an_op_are_noted_with_their_values():
    cuts = _cuts()
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    c = torch.tensor([3.0, 4.0])
    out = torch.mul(w, c)
    cuts.observe(torch.mul, out, (w, c))
    [(tensor, kept)] = cuts.constants[out.grad_fn]
    assert tensor is c
    c.add_(1)  # the value as the op saw it
    assert kept.get().tolist() == [3.0, 4.0]
    assert cuts.cuts == {}


def test_constants_inside_a_list_argument():
    cuts = _cuts()
    w = torch.ones(2, requires_grad=True)
    a, b = torch.zeros(2), torch.full((2,), 5.0)
    out = torch.cat([a, w, b])
    cuts.observe(torch.cat, out, ([a, w, b],))
    assert [t for t, _ in cuts.constants[out.grad_fn]] == [a, b]


def test_first_sighting_of_an_op_wins_and_forget_drops_it():
    cuts = _cuts()
    w = torch.ones(2, requires_grad=True)
    c = torch.ones(2)
    out = w * c
    cuts.observe(torch.mul, out, (w, c))
    cuts.observe(torch.mul, out, (w, torch.zeros(2)))
    assert [t for t, _ in cuts.constants[out.grad_fn]] == [c]
    cuts.forget(out.grad_fn)
    assert cuts.constants == {}


def test_an_op_with_every_input_requiring_grad_has_no_constants():
    cuts = _cuts()
    w = torch.ones(2, requires_grad=True)
    out = w * w
    cuts.observe(torch.mul, out, (w, w))
    assert cuts.constants == {}


def test_detach_records_a_cut_from_the_grad_fn_or_the_leaf():
    cuts = _cuts()
    w = torch.ones(2, requires_grad=True)
    h = w * 2
    from_op = h.detach()
    from_leaf = w.detach()
    cuts.observe(torch.Tensor.detach, from_op, (h,))
    cuts.observe(torch.Tensor.detach, from_leaf, (w,))
    cut = cuts.cuts[id(from_op)]
    assert (cut.kind, cut.origins, cut.line) == ("detach", [h.grad_fn], 7)
    assert cuts.cuts[id(from_leaf)].origins == [w]


def test_no_grad_records_a_cut_of_kind_no_grad():
    cuts = _cuts()
    w = torch.ones(2, requires_grad=True)
    c = torch.ones(2)
    with torch.no_grad():
        out = w * c
        cuts.observe(torch.mul, out, (w, c))
    assert cuts.cuts[id(out)].kind == "no_grad"
    assert cuts.cuts[id(out)].origins == [w]


def test_no_cut_without_an_origin_that_requires_grad():
    """Detaching or computing under no_grad from constants cuts nothing; an
    op on constants with grad enabled is no cut either."""
    cuts = _cuts()
    c = torch.ones(2)
    cuts.observe(torch.Tensor.detach, c.detach(), (c,))
    with torch.no_grad():
        cuts.observe(torch.mul, c * 2, (c,))
    cuts.observe(torch.mul, c * 2, (c,))
    assert cuts.cuts == {} and cuts.constants == {}


def test_a_cut_is_forgotten_when_its_tensor_dies():
    """Keyed by id while the tensor lives: a dead tensor's id is reused."""
    cuts = _cuts()
    w = torch.ones(2, requires_grad=True)
    d = w.detach()
    cuts.observe(torch.Tensor.detach, d, (w,))
    assert len(cuts.cuts) == 1
    del d
    gc.collect()
    assert cuts.cuts == {}


def test_program_draws_constants_and_both_kinds_of_cut():
    record = run_in_process(
        "import torch\n"
        "w = torch.tensor([1.0, -2.0], requires_grad=True)\n"
        "c = torch.tensor([3.0, 4.0])\n"
        "h = w * c\n"
        "d = h.detach()\n"
        "with torch.no_grad():\n"
        "    n = w * 2\n"
        "loss = (h * d + n).sum()\n"
        "loss.backward()\n"
    )
    node = {name: record.named(name) for name in ("w", "c", "h", "d", "n")}
    hd = next(e.src for e in record.edges if e.dst == node["h"].id)
    add = next(e.src for e in record.edges if e.dst == hd)
    assert sorted(record.no_grad_edges, key=lambda e: (e.kind, e.src)) == sorted(
        [
            NoGradEdge(node["h"].id, node["c"].id, "constant"),
            NoGradEdge(hd, node["d"].id, "constant"),
            NoGradEdge(add, node["n"].id, "constant"),
            NoGradEdge(node["d"].id, node["h"].id, "detach"),
            NoGradEdge(node["n"].id, node["w"].id, "no_grad"),
        ],
        key=lambda e: (e.kind, e.src),
    )
    assert (node["d"].kind, node["d"].requires_grad, node["d"].value, node["d"].line) == (
        "leaf",
        False,
        [3.0, -8.0],
        5,
    )
    assert (node["n"].value, node["n"].line) == ([2.0, -4.0], 7)
    assert node["c"].value == [3.0, 4.0] and node["c"].line == 3
    # No gradient goes through a cut: w's gradient is d = [3, -8] times c, not more.
    assert record.final_grads[node["w"].id] == [9.0, -32.0]


def test_a_cut_origin_outside_the_graph_brings_its_own_graph():
    """`v`'s exp is only reached through the detached `d`: it is drawn, with
    its leaf, joined by the dashed edge, but no pass ran through it."""
    record = run_in_process(
        "import torch\n"
        "v = torch.tensor([0.0, 1.0], requires_grad=True)\n"
        "w = torch.tensor([2.0, 3.0], requires_grad=True)\n"
        "d = v.exp().detach()\n"
        "loss = (w * d).sum()\n"
        "loss.backward()\n"
    )
    exp = next(n for n in record.nodes if n.op == "ExpBackward0")
    v, d = record.named("v"), record.named("d")
    assert NoGradEdge(d.id, exp.id, "detach") in record.no_grad_edges
    assert any(e.src == exp.id and e.dst == v.id for e in record.edges)
    assert exp.id not in record.passes[0].order
    assert record.final_grads[v.id] is None
    assert record.final_grads[record.named("w").id] == pytest.approx([1.0, math.e])


def test_one_constant_used_twice_is_one_node():
    record = run_in_process(
        "import torch\n"
        "w = torch.tensor([1.0, 2.0], requires_grad=True)\n"
        "c = torch.tensor([0.5, 0.5])\n"
        "loss = (w * c + w / c).sum()\n"
        "loss.backward()\n"
    )
    c = record.named("c")
    assert sum(n.name == "c" for n in record.nodes) == 1
    into_c = [e for e in record.no_grad_edges if e.dst == c.id]
    assert len(into_c) == 2 and {e.kind for e in into_c} == {"constant"}
    assert record.final_grads[record.named("w").id] == [2.5, 2.5]
