"""build: a Recorder's run turned into a GraphRecord whose nodes and edges
are the grad_fn graph torch walks, with each pass's numbers."""

from __future__ import annotations

import torch

from graphs.record.model import Edge, NoGradEdge, Summary
from graphs.worker.capture import Recorder, capture
from graphs.worker.tensordata import LIST_LIMIT
from graphs.worker.walk import is_leaf_fn, walk


def _program():
    """A diamond (`a` feeds sin, exp and a * a), a constant `c`, two leaves."""
    torch.manual_seed(0)
    x = torch.randn(3, requires_grad=True)
    w = torch.randn(3, requires_grad=True)
    c = torch.tensor([1.0, 2.0, 3.0])
    with Recorder() as rec:
        a = x * w
        b = a.sin() * c
        d = a.exp()
        loss = (b * d).sum() + (a * a).mean()
        loss.backward()
    return rec, dict(x=x, w=w, c=c, a=a, b=b, d=d, loss=loss)


def test_nodes_and_edges_are_the_grad_fn_graph():
    """Nodes are numbered in walk order, one per grad_fn, then the output and
    the constant; edges are every non-None `next_functions` entry (a * a
    gives two), then output -> root."""
    rec, t = _program()
    record = rec.record()
    walked = list(walk([t["loss"].grad_fn]))
    ids = {fn: f"n{i}" for i, (fn, _) in enumerate(walked)}
    assert len(walked) == 11
    for node, (fn, _) in zip(record.nodes, walked, strict=False):
        assert node.id == ids[fn]
        assert node.kind == ("leaf" if is_leaf_fn(fn) else "op")
        assert node.op == (None if is_leaf_fn(fn) else type(fn).__name__)
    output, constant = record.nodes[11:]
    assert len(record.nodes) == 13
    assert (output.kind, constant.kind, constant.requires_grad) == ("output", "leaf", False)
    expected = [Edge(ids[fn], ids[child]) for fn, children in walked for child in children]
    expected.append(Edge(output.id, ids[t["loss"].grad_fn]))
    assert record.edges == expected
    grad_fn_edges = sum(child is not None for fn, _ in walked for child, _ in fn.next_functions)
    assert len(record.edges) == grad_fn_edges + 1 == 14
    mul_b = ids[t["b"].grad_fn]
    assert record.no_grad_edges == [NoGradEdge(mul_b, constant.id, "constant")]
    assert constant.value == [1.0, 2.0, 3.0]


def test_values_and_gradients_are_torchs():
    rec, t = _program()
    a, c = t["a"].detach(), t["c"]
    expected = c * (a.cos() + a.sin()) * a.exp() + 2 * a / 3  # d loss / d a, by hand
    record = rec.record()
    run = record.passes[0]
    ids = {fn: f"n{i}" for i, (fn, _) in enumerate(walk([t["loss"].grad_fn]))}
    a_id = ids[t["a"].grad_fn]
    assert torch.allclose(torch.tensor(run.grads[a_id]), expected)
    for name in ("a", "b", "d"):
        node = record.node(ids[t[name].grad_fn])
        assert torch.equal(torch.tensor(node.value), t[name].detach())
        assert node.shape == [3] and node.dtype == "float32"
    assert record.node(ids[t["loss"].grad_fn]).value == t["loss"].item()
    output = next(n for n in record.nodes if n.kind == "output")
    assert run.roots == [output.id] and run.grads[output.id] == run.seed == 1.0


def test_leaf_final_grads_equal_dot_grad():
    rec, t = _program()
    record = rec.record()
    leaves = {n.id: n for n in record.nodes if n.kind == "leaf" and n.requires_grad}
    assert len(leaves) == 2
    by_value = {tuple(n.value): n.id for n in leaves.values()}
    for name in ("x", "w"):
        node_id = by_value[tuple(t[name].tolist())]
        assert torch.equal(torch.tensor(record.final_grads[node_id]), t[name].grad)
        assert torch.equal(torch.tensor(record.passes[0].grad_after[node_id]), t[name].grad)
        assert torch.equal(torch.tensor(record.passes[0].grads[node_id]), t[name].grad)


def test_sent_lists_one_entry_per_drawn_edge_and_the_chain_explains_it():
    """`sin(a) * c` has a None edge (the constant): it sends one gradient, not
    two. Every chain link's Jacobian satisfies sent = J.T @ grad."""
    rec, t = _program()
    record = rec.record()
    run = record.passes[0]
    ids = {fn: f"n{i}" for i, (fn, _) in enumerate(walk([t["loss"].grad_fn]))}
    mul_b = ids[t["b"].grad_fn]
    assert len(run.sent[mul_b]) == 1
    sin_grad = torch.tensor(run.grads[mul_b]) * t["c"]
    assert torch.allclose(torch.tensor(run.sent[mul_b][0]), sin_grad)
    checked = 0
    for node_id, links in run.chain.items():
        children = [e.dst for e in record.edges if e.src == node_id]
        assert [link.input for link in links] == children
        for link, sent in zip(links, run.sent[node_id], strict=True):
            if link.jacobian is None:
                continue
            jacobian = torch.tensor(link.jacobian)
            grad = torch.tensor(run.grads[node_id]).reshape(-1)
            assert torch.allclose(jacobian.T @ grad, torch.tensor(sent).reshape(-1), atol=1e-5)
            checked += 1
    assert checked == 13  # every edge of the grad_fn graph starts at an op


def test_order_numbers_each_node_of_the_pass():
    rec, t = _program()
    record = rec.record()
    order = record.passes[0].order
    assert sorted(order.values()) == list(range(1, 12))
    assert order["n0"] == 1


def test_large_values_as_summaries_only():
    """One field holds a tensor's numbers: listed when small, a Summary when not."""
    x = torch.linspace(-1.0, 1.0, LIST_LIMIT + 1, requires_grad=True)
    record = capture(lambda v: (v * 2).sum(), x)
    mul = next(n for n in record.nodes if n.op == "MulBackward0")
    assert isinstance(mul.value, Summary) and mul.shape == [LIST_LIMIT + 1]
    assert (mul.value.min, mul.value.max) == (-2.0, 2.0)
    assert abs(mul.value.mean) < 1e-6
    run = record.passes[0]
    assert (run.grads[mul.id].min, run.grads[mul.id].max) == (1.0, 1.0)
    leaf = record.named("input0")
    assert run.grad_after[leaf.id] == Summary(min=2.0, mean=2.0, max=2.0)
    assert record.final_grads[leaf.id] == run.grad_after[leaf.id]
    assert run.sent[mul.id] == [None]  # what an op sent is kept listed or not at all


def test_value_overwritten_in_place_is_unknown_but_keeps_its_shape():
    """A large forward value is held by reference: an in-place op since means
    the record cannot say what it was (None), and the gradient gives the shape."""
    x = torch.ones(80, requires_grad=True)
    with Recorder() as rec:
        y = x * 2
        z = y * 3
        y.add_(1)
        (z.sum() + y.sum()).backward()
    record = rec.record()
    muls = [n for n in record.nodes if n.op == "MulBackward0"]
    overwritten = [n for n in muls if n.value is None]
    assert len(muls) == 2 and len(overwritten) == 1
    assert overwritten[0].shape == [80] and overwritten[0].dtype == "float32"
    kept = next(n for n in muls if n.value is not None)
    assert kept.value == [6.0] * 80
    add_ = next(n for n in record.nodes if n.op == "AddBackward0" and n.shape == [80])
    assert add_.value == [3.0] * 80  # y after add_: its own value, kept


def test_without_a_pass_the_last_tensor_is_drawn():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with Recorder() as rec:
        y = x.exp()
        z = y * 2
    record = rec.record()
    assert record.passes == [] and record.losses == []
    assert [n.kind for n in record.nodes] == ["op", "op", "leaf", "output"]
    assert torch.allclose(torch.tensor(record.nodes[-1].value), z.detach())
    assert record.final_grads == {"n2": None}


def test_output_value_is_the_roots_value_when_the_pass_ran():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with Recorder() as rec:
        loss = (x * x).sum()
        loss.backward()
        with torch.no_grad():
            loss.mul_(0)
    record = rec.record()
    output = next(n for n in record.nodes if n.kind == "output")
    assert output.value == 5.0


def test_two_passes_each_keep_their_own_grad_after():
    """`.grad` accumulates over passes: each pass shows it as it stood then,
    and final_grads as the program left it (zeroed after the last pass)."""
    w = torch.tensor([1.0, -1.0], requires_grad=True)
    with Recorder() as rec:
        loss = (w * w * 3).sum()
        loss.backward(retain_graph=True)
        loss.backward()
        w.grad.zero_()
    record = rec.record()
    leaf = next(n.id for n in record.nodes if n.kind == "leaf")
    assert [p.index for p in record.passes] == [0, 1]
    assert [p.grad_after[leaf] for p in record.passes] == [[6.0, -6.0], [12.0, -12.0]]
    assert [p.grads[leaf] for p in record.passes] == [[6.0, -6.0], [6.0, -6.0]]
    assert record.final_grads[leaf] == [0.0, 0.0]
    assert len(record.nodes) == 5  # one graph, drawn once


def test_long_program_keeps_the_chain_of_its_first_pass_only():
    """Four passes, one kept at each end: Jacobians were computed for both
    (PASSES_WITH_JACOBIANS is 6), the record keeps the first pass's only."""
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    with Recorder(keep_first=1, keep_last=1) as rec:
        for step in range(4):
            (w * (step + 1)).sum().backward()
    assert all(run.jacobians for run in rec.passes)
    record = rec.record()
    assert [p.index for p in record.passes] == [0, 3]
    assert len(record.losses) == 4 and record.long
    assert record.passes[0].chain and record.passes[1].chain == {}
    leaf = next(n.id for n in record.nodes if n.kind == "leaf")
    assert record.final_grads[leaf] == [10.0, 10.0]  # 1 + 2 + 3 + 4


def test_sparse_gradient_listed_dense():
    torch.manual_seed(0)
    emb = torch.nn.Embedding(4, 2, sparse=True)
    record = capture(emb, torch.tensor([1, 1, 3]))
    weight = record.named("weight")
    assert emb.weight.grad.layout is torch.sparse_coo
    expected = [[0.0, 0.0], [2.0, 2.0], [0.0, 0.0], [1.0, 1.0]]
    assert record.final_grads[weight.id] == expected
    assert record.passes[0].grads[weight.id] == expected
    assert record.passes[0].grad_after[weight.id] == expected


def test_module_capture_names_parameters_and_module_calls():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh(), torch.nn.Linear(2, 1))
    record = capture(model, torch.ones(1, 2))
    names = {n.name for n in record.nodes if n.kind == "leaf"}
    assert {"0.weight", "0.bias", "2.weight", "2.bias", "input0"} <= names
    assert torch.allclose(torch.tensor(record.final_grads[record.named("2.bias").id]), model[2].bias.grad)
    assert [(m.path, m.call, m.kind, m.parent) for m in record.modules] == [
        ("0", 0, "Linear", None),
        ("1", 0, "Tanh", None),
        ("2", 0, "Linear", None),
    ]
    tanh = next(n for n in record.nodes if n.op == "TanhBackward0")
    assert (tanh.module, tanh.call) == ("1", 0)
