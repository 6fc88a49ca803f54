"""Programs that put something of their own between torch and the capture:
a TorchFunctionMode or default device, hooks that change a gradient,
vmap and torch.func transforms, modules that ship inside the torch wheel."""

from __future__ import annotations

import pytest
import torch

from graphs.api import run_in_process, run_source
from graphs.record.model import GraphRecord
from graphs.worker.capture import capture_program


@pytest.fixture(autouse=True)
def _default_device_undone():
    """`torch.set_default_device` lasts for the process: undo a program's."""
    yield
    torch.set_default_device(None)


def node(record: GraphRecord, kind: str, name: str):
    [found] = [n for n in record.nodes if n.kind == kind and n.name == name]
    return found


MODES = """\
import torch
from torch.overrides import TorchFunctionMode

class Quiet(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        return func(*args, **(kwargs or {}))

torch.set_default_device("cpu")
w = torch.tensor([2.0, -1.0], requires_grad=True)
with Quiet():
    for step in range(40):
        loss = ((w - 1.0) ** 2).sum()
        loss.backward()
        with torch.no_grad():
            w -= 0.1 * w.grad
            w.grad = None
"""


def test_a_programs_own_modes_see_each_pass_once():
    """A default device and a mode of the program's own hand `loss.backward()`
    back to the explorer's wrapper by name: counted twice, the loop's quiet
    stretch dropped a kept pass that was not there (`pop index out of range`)."""
    record = run_in_process(MODES)
    assert [loss.index for loss in record.losses] == list(range(40))
    # head, the spread between (graphs.worker.spread: log-spaced from 3 to 36), tail
    spread = [3, 4, 5, 6, 7, 8, 10, 11, 13, 16, 19, 22, 26, 31, 36]
    assert [run.index for run in record.passes] == [0, 1, 2, *spread, 37, 38, 39]
    recorder, _ = capture_program(MODES, counted_loops=False)  # every pass in full
    assert [loss.value for loss in record.losses] == pytest.approx([loss.value for loss in recorder.losses])


def test_a_leaf_that_is_the_root_shows_the_seed_and_what_its_hook_made_of_it():
    record = run_in_process(
        "import torch\n"
        "v = torch.tensor([0., 0., 0.], requires_grad=True)\n"
        "h = v.register_hook(lambda g: g * 2)\n"
        "v.backward(torch.tensor([1., 2., 3.]))\n"
    )
    [run] = record.passes
    output, leaf = node(record, "output", "v"), node(record, "leaf", "v")
    assert [(e.src, e.dst) for e in record.edges] == [(output.id, leaf.id)]
    assert run.grads[output.id] == [1.0, 2.0, 3.0]  # what arrived: the seed
    assert run.grads[leaf.id] == [2.0, 4.0, 6.0]  # what the hook returned
    assert run.grad_after[leaf.id] == record.final_grads[leaf.id] == [2.0, 4.0, 6.0]  # torch's v.grad


@pytest.mark.parametrize("hook", ["g * 10", "g.mul_(10)"])
def test_a_hook_on_a_non_leaf_shows_what_arrived_and_what_it_returned(hook):
    """Also when the hook changes the gradient in place: what the parent sent
    is held by reference, so it is copied for a node the program hooked."""
    record = run_in_process(
        "import torch\n"
        "w = torch.tensor([1.0, 2.0], requires_grad=True)\n"
        "y = w * 3\n"
        f"y.register_hook(lambda g: {hook})\n"
        "w.register_hook(lambda g: g.add_(1))\n"
        "loss = (y * 2).sum()\n"
        "loss.backward()\n"
    )
    [run] = record.passes
    times_two, y, w = record.named("y * 2"), record.named("y"), node(record, "leaf", "w")
    assert run.sent[times_two.id] == [[2.0, 2.0]]  # what arrived at y
    assert run.grads[y.id] == [20.0, 20.0]  # what y's hook returned
    assert run.sent[y.id] == [[60.0, 60.0]]  # what arrived at w
    assert run.grads[w.id] == run.grad_after[w.id] == [61.0, 61.0]  # what w's hook returned: w.grad


JACOBIAN = """\
import torch
from torch.autograd.functional import jacobian

x = torch.tensor([0.5, 1.0, 2.0], requires_grad=True)
J = jacobian(lambda t: t.sin() * t.sum(), x, vectorize={vectorize})
print(J.tolist())
"""


def test_a_vectorized_jacobian_is_one_call_of_the_program_not_a_pass():
    """`vectorize=True` runs one `autograd.grad` under vmap: its gradients are
    batches no hook can read (the worker stopped on them). The rows' own passes
    are passes of the record when they are separate calls."""
    batched, rows = (
        run_in_process(JACOBIAN.format(vectorize=True)),
        run_in_process(JACOBIAN.format(vectorize=False)),
    )
    assert batched.passes == [] and batched.losses == []
    assert len(rows.passes) == 3
    x = torch.tensor([0.5, 1.0, 2.0])
    expected = torch.autograd.functional.jacobian(lambda t: t.sin() * t.sum(), x)
    assert batched.prints == rows.prints == [str(expected.tolist())]


HESSIAN = """\
import torch
from torch.autograd.functional import hessian
x = torch.tensor([1.0, 2.0], requires_grad=True)
H = hessian(lambda v: (v ** 3).sum(), x, vectorize=True, outer_jacobian_strategy="forward-mode")
(H.sum() * x.sum()).backward()
"""


def test_forward_mode_zeros_in_a_pass_are_read_as_zeros():
    """A Hessian by forward-mode over reverse-mode leaves torch's storage-less
    zero tensors among a pass's gradients: the record reads them as zeros."""
    record = run_in_process(HESSIAN)
    zeros = [g for run in record.passes for g in run.grads.values() if g == [0.0, 0.0]]
    assert zeros
    namespace: dict = {}
    exec(HESSIAN, namespace)
    assert record.final_grads[node(record, "leaf", "x").id] == namespace["x"].grad.tolist()


SHIPPED = """\
import functorch
import functorch.experimental
import torch
import torch.distributions
import torch.func
import torch.nn.attention.flex_attention
import torch.nn.functional
import torch.nn.utils.prune
import torch.utils.benchmark
import torch.utils.data
from torch.func import linearize

w = torch.ones(3, requires_grad=True)
_, linear = linearize(torch.sin, torch.zeros(3))
loss = (functorch.vmap(torch.cos)(w) * linear(torch.ones(3))).sum()
loss.backward()
print("imported")
"""


def test_modules_shipped_in_the_torch_wheel_import_in_the_worker():
    """A locked-in worker cannot read a file, so it imports only what the
    zygote loaded first (graphs.worker.warmup): `import functorch` was refused."""
    record = run_source(SHIPPED)
    assert record.prints == ["imported"]
    assert record.final_grads[node(record, "leaf", "w").id] == pytest.approx([-0.8414710] * 3)
