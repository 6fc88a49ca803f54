"""Capture from Python: values and gradients agree with torch itself."""

import json

import pytest
import torch

from graphs.record.model import GraphRecord
from graphs.views.passes import NodeFacts, PassView
from graphs.worker.capture import Recorder, capture


def by_op(record: GraphRecord, op: str):
    return [n for n in record.nodes if n.op == op]


def two_layer(rec: Recorder):
    """Seed 003's network, labelled the way the interpreter labels it."""
    x = torch.tensor([[1.0]])
    y = torch.tensor([[1.0], [0.0]])
    w1 = torch.tensor([[1.0], [2.0]], requires_grad=True)
    w2 = torch.tensor([[3.0, 4.0], [5.0, 6.0]], requires_grad=True)
    for tensor, name in ((w1, "w1"), (w2, "w2")):
        rec.label(tensor, name, explicit=True)
    z_1 = torch.mm(w1, x)
    rec.label(z_1, "z_1", explicit=True)
    y_1 = torch.sigmoid(z_1)
    rec.label(y_1, "y_1", explicit=True)
    z_2 = torch.mm(w2, y_1)
    y_2 = torch.sigmoid(z_2)
    rec.label(y_2, "y_2", explicit=True)
    loss = 1 / 2 * ((y_2 - y) ** 2).sum()
    rec.label(loss, "loss", explicit=True)
    loss.backward()
    return w1, w2, z_2


def test_seed_003_values_and_gradients():
    with Recorder() as rec:
        w1, w2, z_2 = two_layer(rec)
    record = rec.record()
    assert record.named("loss").value == pytest.approx(0.49987, rel=1e-4)
    w1_grad = torch.tensor(record.passes[-1].grad_after[record.named("w1").id])
    assert torch.allclose(w1_grad, torch.tensor([[1.2243e-04], [7.8005e-05]]), rtol=1e-4)
    assert torch.equal(torch.tensor(record.final_grads[record.named("w2").id]), w2.grad)
    # The unnamed second mm still carries its forward value and gradient.
    mm = [n for n in by_op(record, "MmBackward0") if n.name is None][0]
    assert torch.allclose(torch.tensor(mm.value), z_2.detach())
    assert record.passes[-1].grads[mm.id] is not None


def test_non_leaf_gradients_match_retain_grad():
    """What the hooks capture equals what retain_grad() would show."""
    x = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    with Recorder() as rec:
        h = torch.tanh(x * 3)
        rec.label(h, "h", explicit=True)
        out = (h**2).mean()
        h.retain_grad()
        out.backward()
    record = rec.record()
    assert torch.allclose(torch.tensor(record.passes[0].grads[record.named("h").id]), h.grad)
    assert torch.allclose(torch.tensor(record.named("h").value), h.detach())


def test_gradients_match_finite_differences():
    def f(w):
        return (torch.sigmoid(w @ w.T) * w.sum()).sum()

    w0 = torch.tensor([[0.3, -0.2], [0.1, 0.4]], dtype=torch.float64)
    record = capture(f, w0.clone().requires_grad_())
    grad = torch.tensor(record.final_grads[record.named("input0").id], dtype=torch.float64)
    eps = 1e-6
    numeric = torch.zeros_like(w0)
    for i in range(2):
        for j in range(2):
            step = torch.zeros_like(w0)
            step[i, j] = eps
            numeric[i, j] = (f(w0 + step) - f(w0 - step)) / (2 * eps)
    assert torch.allclose(grad, numeric, atol=1e-7)


def test_accumulation_is_visible_pass_by_pass():
    with Recorder() as rec:
        w = torch.tensor(1.0, requires_grad=True)
        rec.label(w, "w", explicit=True)
        z = (w * 2 + 3) ** 2
        z.backward(retain_graph=True)
        z.backward()
        w.grad.zero_()
    record = rec.record()
    leaf = record.named("w").id
    assert [p.grads[leaf] for p in record.passes] == [20.0, 20.0]  # what each pass sent
    assert [p.grad_after[leaf] for p in record.passes] == [20.0, 40.0]  # .grad after each pass
    assert [p.kind for p in record.passes] == ["backward", "backward"]
    assert record.passes[0].retain_graph and not record.passes[1].retain_graph


def test_second_order_pass_reaches_leaf():
    with Recorder() as rec:
        x1 = torch.tensor(2.0, requires_grad=True)
        x2 = torch.tensor(3.0, requires_grad=True)
        rec.label(x1, "x1", explicit=True)
        y = x1**2 + x2**2 + x1 * x2
        (dx1,) = torch.autograd.grad(y, x1, create_graph=True)
        rec.label(dx1, "dx1", explicit=True)
        torch.autograd.grad(dx1, x1)
    record = rec.record()
    first, second = record.passes
    leaf = record.named("x1").id
    assert first.create_graph and first.grads[leaf] == 7.0  # 2*x1 + x2
    assert second.grads[leaf] == 2.0  # d2y/dx1^2
    assert record.named("dx1").value == 7.0
    assert first.grad_after == {leaf: None} and second.grad_after == {leaf: None}  # .grad never set


def test_index_assignment_names_copyslices():
    with Recorder() as rec:
        a = torch.tensor([2.0, 3.0], requires_grad=True)
        rec.label(a, "a", explicit=True)
        b = torch.zeros(2)
        b[0] = a[0] ** 2 + a[1]
        rec.label(b, "b", explicit=True)
        b.sum().backward()
    record = rec.record()
    node = record.named("b")
    assert node.op == "CopySlices"
    assert node.value == [7.0, 0.0]
    assert record.passes[0].grad_after[record.named("a").id] == [4.0, 1.0]


def test_module_capture_names_parameters_and_summarises_large_tensors():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    record = capture(model, torch.randn(4, 8))
    weight = record.named("0.weight")
    assert weight.kind == "leaf" and weight.shape == [16, 8]
    assert weight.value == model[0].weight.tolist()  # 128 elements: listed in full
    (run,) = record.passes
    assert torch.allclose(torch.tensor(run.grad_after[weight.id]), model[0].weight.grad)
    # F.linear hides its TBackward0 from Python: shape from its gradient only.
    hidden = by_op(record, "TBackward0")
    assert hidden and all(n.value is None and run.grads[n.id] is not None for n in hidden)


def test_no_backward_draws_last_tensor_requiring_grad():
    with Recorder() as rec:
        w = torch.ones(2, requires_grad=True)
        rec.label(w, "w", explicit=True)
        out = (w * 3).sum()
        rec.label(out, "out", explicit=True)
    record = rec.record()
    assert not record.passes
    assert [n.name for n in record.nodes if n.kind == "output"] == ["out"]
    assert PassView(record).facts(record.named("w").id) == NodeFacts()
    assert PassView(record).title.startswith("No backward pass yet")


def test_edges_point_from_output_towards_leaves():
    with Recorder() as rec:
        two_layer(rec)
    record = rec.record()
    kinds = {n.id: n.kind for n in record.nodes}
    assert all(kinds[e.dst] != "output" for e in record.edges)
    assert all(kinds[e.src] != "leaf" for e in record.edges)
    steps = list(record.passes[0].order.values())
    assert sorted(steps) == list(range(1, len(steps) + 1))


def test_record_round_trips_through_json():
    with Recorder() as rec:
        two_layer(rec)
    record = rec.record(prints=["hello"], source="x = 1")
    again = GraphRecord.from_dict(json.loads(record.to_json()))
    assert again == record


def test_large_value_overwritten_in_place_is_dropped_not_shown_wrong():
    """Large outputs are kept by reference: an in-place op that later
    overwrites one must not make the figure show the new numbers."""
    with Recorder() as rec:
        w = torch.ones(100, requires_grad=True)
        h = w * 2
        h.add_(1)
        h.sum().backward()
    record = rec.record()
    (mul,) = by_op(record, "MulBackward0")
    (add,) = by_op(record, "AddBackward0")
    assert mul.value is None
    assert mul.shape == [100] and record.passes[0].grads[mul.id] == [1.0] * 100
    assert add.value == [3.0] * 100


def test_pass_gradient_of_a_leaf_survives_later_zero_and_accumulation():
    """A leaf's per-pass gradient is the tensor AccumulateGrad may turn into
    `.grad`; a later `zero_()` or accumulation must not rewrite history."""
    with Recorder() as rec:
        a = torch.tensor([1.0, 2.0], requires_grad=True)
        rec.label(a, "a", explicit=True)
        out = a[0] * 3 + a[1] * 5  # two paths: the engine sums them in a fresh buffer
        out.backward(retain_graph=True)
        a.grad.zero_()
        out.backward(retain_graph=True)
        out.backward()
    record = rec.record()
    leaf = record.named("a").id
    assert [p.grads[leaf] for p in record.passes] == [[3.0, 5.0]] * 3
    assert [p.grad_after[leaf] for p in record.passes] == [[3.0, 5.0], [3.0, 5.0], [6.0, 10.0]]


@pytest.mark.parametrize(
    "change",
    [
        "a.grad.zero_()",
        "a.grad.data.zero_()",
        "a.grad[0] = 7.0",
        "a.grad -= 1",
        "torch.nn.utils.clip_grad_norm_([a], 0.1)",
        "torch.mul(a.grad, 0, out=a.grad)",
        "torch.optim.Adam([a], lr=0.1, weight_decay=0.5, maximize=True, foreach=True).step()",
    ],
)
def test_a_pass_keeps_its_leaf_gradient_whatever_changes_it_in_place_afterwards(change: str):
    """Leaf gradients are held, not copied, until something may write into them."""
    with Recorder() as rec:
        a = torch.tensor([1.0, 2.0], requires_grad=True)
        rec.label(a, "a", explicit=True)
        (a * torch.tensor([3.0, 5.0])).sum().backward()
        exec(change)
    record = rec.record()
    assert record.passes[0].grad_after[record.named("a").id] == [3.0, 5.0]


def test_grad_inputs_are_kept_when_small_and_dropped_when_large():
    with Recorder() as rec:
        big = torch.ones(300, requires_grad=True)
        small = torch.ones(3, requires_grad=True)
        ((big * 2).sum() + (small * 5).sum()).backward()
    record = rec.record()
    by_shape = {tuple(n.shape): n for n in by_op(record, "MulBackward0")}
    (run,) = record.passes
    assert run.sent[by_shape[(3,)].id] == [[5.0, 5.0, 5.0]]  # the constant 5 has no edge
    assert run.sent[by_shape[(300,)].id] == [None]  # 300 entries: not kept
    assert run.grads[by_shape[(300,)].id] == [1.0] * 300  # the node's own gradient still is


def test_torch_autograd_backward_of_one_tensor_is_a_pass_like_tensor_backward():
    """`torch.autograd.backward(y)` (and `from torch.autograd import backward`)
    is `y.backward()` written another way: a pass with its line and gradients."""
    from graphs.api import run_in_process

    record = run_in_process(
        "import torch\n"
        "w = torch.tensor([1.0, 2.0], requires_grad=True)\n"
        "torch.autograd.backward((w * w * 3).sum())\n"
        "torch.autograd.backward([w * 2], [torch.tensor([1.0, 0.5])])\n"
        "from torch.autograd import backward\n"
        "backward((w ** 3).sum())\n"
    )
    assert [run.line for run in record.passes] == [3, 4, 6]
    [leaf] = [node for node in record.nodes if node.name == "w"]
    assert [run.grads[leaf.id] for run in record.passes] == [[6.0, 12.0], [2.0, 1.0], [3.0, 12.0]]
    assert record.final_grads[leaf.id] == [11.0, 25.0]


def test_a_reentrant_checkpoint_calling_autograd_backward_inside_a_pass_is_one_pass():
    from graphs.api import run_in_process

    source = (
        "import torch\n"
        "from torch.utils.checkpoint import checkpoint\n"
        "w = torch.tensor([1.0, -2.0], requires_grad=True)\n"
        "x = torch.tensor([0.5, 3.0], requires_grad=True)\n"
        "y = checkpoint(lambda t: (t * w).tanh(), x, use_reentrant=True)\n"
        "y.sum().backward()\n"
    )
    record = run_in_process(source)
    assert len(record.passes) == 1
    namespace: dict = {}
    exec(source, namespace)
    [leaf] = [node for node in record.nodes if node.name == "w"]
    assert record.final_grads[leaf.id] == pytest.approx(namespace["w"].grad.tolist())


def test_a_large_leafs_final_grad_keeps_its_statistics_apart_from_no_grad():
    """A 64x64 `.grad` zeroed after the last pass is too large to list: its
    statistics say so (all zeros), where a small one is listed and needs none."""
    from graphs.api import run_in_process
    from graphs.record import decode
    from graphs.record.model import Summary

    record = run_in_process(
        "import torch\n"
        "w = torch.ones(64, 64, requires_grad=True)\n"
        "b = torch.ones(3, requires_grad=True)\n"
        "((w * 3).sum() + (b * 2).sum()).backward()\n"
        "w.grad.zero_()\n"
    )
    w, b = record.named("w"), record.named("b")
    assert record.final_grads[w.id] == Summary(min=0.0, mean=0.0, max=0.0)
    assert record.passes[0].grad_after[w.id] == Summary(min=3.0, mean=3.0, max=3.0)
    assert record.final_grads[b.id] == [2.0, 2.0, 2.0]
    assert decode.record(record.to_wire()).final_grads == record.final_grads
    assert json.loads(record.to_json())["final_grads"][w.id] == {"min": 0.0, "mean": 0.0, "max": 0.0}


def test_complex_tensors_in_the_graph_are_shown_without_their_numbers():
    """JSON has no complex numbers: a complex value, gradient or Jacobian is
    left unlisted, and the real leaf's gradient is torch's."""
    from graphs.api import run_source

    record = run_source(
        "import torch\nw = torch.tensor([0.5, -1.0], requires_grad=True)\n"
        "loss = torch.fft.fft(w).abs().sum()\nloss.backward()\n"
    )
    assert record.final_grads[record.named("w").id] == [0.0, -2.0]
    assert any(node.dtype.startswith("complex") and node.value is None for node in record.nodes)
