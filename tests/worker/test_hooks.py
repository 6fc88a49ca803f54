"""PassHooks: hooks on every node of one backward pass record what torch
computed there (compared with torch.autograd.grad), in the order the engine ran."""

from __future__ import annotations

import torch

from graphs.api import run_in_process
from graphs.worker.attrs import FREED, saved_values
from graphs.worker.capture import capture_program
from graphs.worker.hooks import PassHooks, root_node
from graphs.worker.tensordata import GRAD_INPUT_LIMIT
from graphs.worker.walk import is_leaf_fn, walk

BACKWARD = torch.Tensor.backward
GRAD = torch.autograd.grad


def _network():
    """x, w -> a = x * w -> b = sin a, c = exp a -> loss = sum(b * c): `a` feeds two ops."""
    torch.manual_seed(0)
    x = torch.randn(3, requires_grad=True)
    w = torch.randn(3, requires_grad=True)
    a = x * w
    b = a.sin()
    c = a.exp()
    loss = (b * c).sum()
    return x, w, a, b, c, loss


def _backward(loss, **kwargs) -> PassHooks:
    run = PassHooks("backward", BACKWARD, (loss,), kwargs, line=None)
    with run:
        loss.backward(**kwargs)
    return run


def test_each_nodes_gradient_is_what_autograd_grad_gives():
    x, w, a, b, c, loss = _network()
    expected = GRAD(loss, [a, b, c, loss], retain_graph=True)
    run = _backward(loss)
    for tensor, grad in zip((a, b, c, loss), expected, strict=True):
        assert torch.allclose(run.grads[tensor.grad_fn], grad)
    product = loss.grad_fn.next_functions[0][0]  # b * c, before the sum
    assert torch.allclose(run.grads[product], torch.ones(3))


def test_leaf_gradients_equal_dot_grad():
    x, w, a, b, c, loss = _network()
    run = _backward(loss)
    leaf_x, leaf_w = (fn for fn in run.grads if is_leaf_fn(fn) and fn.variable is not None)
    by_variable = {id(fn.variable): fn for fn in (leaf_x, leaf_w)}
    for leaf in (x, w):
        fn = by_variable[id(leaf)]
        assert torch.equal(run.grads[fn], leaf.grad)
        assert torch.equal(run.leaf_grads[fn], leaf.grad)
    assert torch.allclose(x.grad, run.grads[a.grad_fn] * w.detach())


def test_order_runs_every_node_once_parents_before_children():
    x, w, a, b, c, loss = _network()
    run = _backward(loss)
    nodes = list(walk([loss.grad_fn]))
    assert sorted(run.order.values()) == list(range(1, len(nodes) + 1))
    assert run.order[loss.grad_fn] == 1
    for fn, children in nodes:
        for child in children:
            assert run.order[fn] < run.order[child]


def test_sent_is_each_childs_share_and_the_jacobian_explains_it():
    """What `a = x * w` sends to x is grad_a * w, and the chain rule's local
    Jacobian (read inside the hook) satisfies sent = J.T @ grad."""
    x, w, a, b, c, loss = _network()
    grad_a = GRAD(loss, a, retain_graph=True)[0]
    run = _backward(loss)
    to_x, to_w = run.grad_inputs[a.grad_fn]
    assert torch.allclose(to_x, grad_a * w.detach())
    assert torch.allclose(to_w, grad_a * x.detach())
    jac_x, jac_w = run.jacobians[a.grad_fn]
    assert torch.allclose(jac_x, torch.diag(w.detach()))
    assert torch.allclose(jac_x.T @ run.grads[a.grad_fn], to_x)
    assert torch.allclose(jac_w.T @ run.grads[a.grad_fn], to_w)


def test_large_sent_gradients_are_not_kept():
    x = torch.ones(GRAD_INPUT_LIMIT + 1, requires_grad=True)
    small = torch.ones(2, requires_grad=True)
    y = x * 2
    loss = y.sum() + (small * 3).sum()
    run = _backward(loss)
    assert run.grad_inputs[y.grad_fn][0] is None  # to x: too large to keep
    assert torch.equal(run.grads[y.grad_fn], torch.ones(GRAD_INPUT_LIMIT + 1))  # its own gradient: kept
    small_mul = loss.grad_fn.next_functions[1][0].next_functions[0][0]
    assert run.grad_inputs[small_mul][0].tolist() == [3.0, 3.0]


def test_saved_values_read_before_the_pass_frees_them():
    x, w, a, b, c, loss = _network()
    run = _backward(loss)
    assert run.attrs[a.grad_fn]["self"] == (torch.float32, torch.Size([3]))
    assert saved_values(a.grad_fn)["self"] == FREED  # the pass did free it


def test_hooks_are_removed_when_the_pass_ends():
    x, w, a, b, c, loss = _network()
    run = _backward(loss, retain_graph=True)
    order, grads = dict(run.order), dict(run.grads)
    loss.backward()
    assert run.order == order and run.grads.keys() == grads.keys()
    assert all(run.grads[fn] is grad for fn, grad in grads.items())


def test_held_leaf_grad_settles_into_a_copy_before_it_changes():
    """A leaf's `.grad` is held, not copied, until `settle`: after it, the
    next pass accumulating into `.grad` leaves this pass's entry alone."""
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    run = _backward(loss, retain_graph=True)
    leaf = root_node(w)
    assert run.leaf_grads[leaf] is w.grad
    assert run.storages() == {w.grad.data_ptr()}
    run.settle()
    assert run.leaf_grads[leaf] is not w.grad and run.unsettled == []
    loss.backward()
    assert run.leaf_grads[leaf].tolist() == [2.0, 4.0]
    assert w.grad.tolist() == [4.0, 8.0]


def test_seed_root_value_and_loss():
    x = torch.tensor([1.0, -2.0], requires_grad=True)
    y = x * 3
    seed = torch.tensor([0.5, 2.0])
    run = PassHooks("backward", BACKWARD, (y, seed), {}, line=7, index=4)
    with run:
        y.backward(seed)
    assert (run.line, run.index, run.kind) == (7, 4, "backward")
    assert run.seed_for(0).tolist() == [0.5, 2.0]
    assert run.root_values[0].tolist() == [3.0, -6.0]
    assert run.loss() is None  # not one number
    assert run.grads[y.grad_fn].tolist() == [0.5, 2.0]
    assert x.grad.tolist() == [1.5, 6.0]

    scalar = (x * x).sum()
    run = _backward(scalar)
    assert run.loss() == 5.0
    assert run.seed_for(0).tolist() == 1.0


def test_retain_graph_follows_create_graph_unless_given():
    x = torch.tensor([1.0], requires_grad=True)
    y = (x**3).sum()
    cases = [({}, False, False), ({"create_graph": True}, True, True)]
    cases.append(({"create_graph": True, "retain_graph": False}, True, False))
    cases.append(({"retain_graph": True}, False, True))
    for kwargs, create, retain in cases:
        run = PassHooks("backward", BACKWARD, (y,), kwargs, line=None)
        assert (run.create_graph, run.retain_graph) == (create, retain)


def test_autograd_grad_files_results_under_the_inputs_nodes():
    """autograd.grad never runs a leaf's AccumulateGrad: the results are filed
    under it as the pass's last step, and `.grad` stays None."""
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    h = x * x
    y = (h * 3).sum()
    run = PassHooks("grad", GRAD, (y, [x, h]), {}, line=None)
    with run:
        results = GRAD(y, [x, h])
    run.take_results(results)
    leaf = root_node(x)
    assert run.grads[leaf].tolist() == [6.0, 12.0]
    assert run.grads[h.grad_fn].tolist() == [3.0, 3.0]
    assert run.order[leaf] == len(run.order)
    assert run.leaf_grads[leaf] is None and x.grad is None
    assert run.inputs[0] is x and run.roots[0] is y


def test_backward_on_a_leaf_starts_at_its_accumulate_grad():
    v = torch.tensor([1.0, 2.0], requires_grad=True)
    assert is_leaf_fn(root_node(v)) and root_node(v).variable is v
    run = PassHooks("backward", BACKWARD, (v, torch.tensor([3.0, 4.0])), {}, line=None)
    with run:
        v.backward(torch.tensor([3.0, 4.0]))
    assert run.grads[root_node(v)].tolist() == [3.0, 4.0]
    assert run.leaf_grads[root_node(v)].tolist() == [3.0, 4.0]
    assert root_node(torch.ones(2)) is None


HOOKED = """import torch
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x * 3
y.register_hook(lambda g: {change})
loss = (y * y).sum()
loss.backward()
"""


def test_program_hook_in_place_shows_what_arrived_and_what_it_returned():
    """y * y sends 2y = [6, 12, 18] (as two shares of y) to y; the hook doubles
    it in place. The node's gradient is what torch went on with (doubled),
    what the parent sent is what arrived (copied before the hook ran)."""
    recorder, outcome = capture_program(HOOKED.format(change="g.mul_(2)"))
    run = recorder.passes[0]
    y, loss = outcome.namespace["y"], outcome.namespace["loss"]
    square = loss.grad_fn.next_functions[0][0]
    assert [g.tolist() for g in run.grad_inputs[square]] == [[3.0, 6.0, 9.0]] * 2
    assert run.grads[y.grad_fn].tolist() == [12.0, 24.0, 36.0]
    assert outcome.namespace["x"].grad.tolist() == [36.0, 72.0, 108.0]


def test_program_hook_returning_a_new_gradient():
    record = run_in_process(HOOKED.format(change="g * 10"))
    run = record.passes[0]
    y, x = record.named("y"), record.named("x")
    square = next(e.src for e in record.edges if e.dst == y.id)
    assert run.sent[square] == [[3.0, 6.0, 9.0]] * 2
    assert run.grads[y.id] == [60.0, 120.0, 180.0]
    assert run.grads[x.id] == run.grad_after[x.id] == [180.0, 360.0, 540.0]


def test_leaf_hook_the_leaf_gets_what_the_hook_returned():
    record = run_in_process(
        "import torch\n"
        "x = torch.tensor([1.0, 2.0], requires_grad=True)\n"
        "x.register_hook(lambda g: g + 1)\n"
        "loss = (x * 5).sum()\n"
        "loss.backward()\n"
    )
    run = record.passes[0]
    x = record.named("x")
    mul = next(e.src for e in record.edges if e.dst == x.id)
    assert run.sent[mul] == [[5.0, 5.0]]
    assert run.grads[x.id] == run.grad_after[x.id] == record.final_grads[x.id] == [6.0, 6.0]


def test_in_place_hook_on_the_one_gradient_a_parent_sent():
    """`y * 2` sends y one fresh tensor, the very one the hook then doubles in
    place: only the copy made for a hooked node keeps what was sent."""
    record = run_in_process(
        "import torch\n"
        "x = torch.tensor([1.0, 2.0], requires_grad=True)\n"
        "y = x * 3\n"
        "y.register_hook(lambda g: g.mul_(2))\n"
        "loss = (y * 2).sum()\n"
        "loss.backward()\n"
    )
    run = record.passes[0]
    y, x = record.named("y"), record.named("x")
    double = next(e.src for e in record.edges if e.dst == y.id)
    assert run.sent[double] == [[2.0, 2.0]]
    assert run.grads[y.id] == [4.0, 4.0]
    assert record.final_grads[x.id] == [12.0, 12.0]
