"""attrs: a grad_fn's saved values, as dtype and shape (never contents), and
which of them a pass has freed."""

from __future__ import annotations

import torch

from graphs.api import run_in_process
from graphs.worker.attrs import FREED, SavedTensor, describe, saved_attrs, saved_values


def test_mul_lists_both_saved_operands_by_dtype_and_shape():
    x = torch.ones(2, 3, requires_grad=True)
    w = torch.ones(2, 3, dtype=torch.float32, requires_grad=True)
    values = saved_values((x * w).grad_fn)
    assert set(values) == {"self", "other"}
    assert values["self"] == SavedTensor((torch.float32, torch.Size([2, 3])))
    assert saved_attrs((x * w).grad_fn) == {"other": "float32[2, 3]", "self": "float32[2, 3]"}


def test_tensors_are_described_never_held():
    """Holding the saved tensors kept every activation alive through the
    backward: only (dtype, shape) is kept."""
    x = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    values = saved_values(x.exp().grad_fn)
    assert values == {"result": (torch.float64, torch.Size([3]))}
    assert not any(isinstance(v, torch.Tensor) for v in values["result"])


def test_non_tensor_values_as_they_are():
    x = torch.ones(4, 3, requires_grad=True)
    values = saved_values(x.pow(2).grad_fn)
    assert values["exponent"] == 2
    attrs = saved_attrs(x.max(dim=1).values.grad_fn)
    assert attrs == {"dim": "1", "indices": "int64[4]", "keepdim": "False", "self_sym_sizes": "(4, 3)"}


def test_tuple_of_tensors_described_inside_parentheses():
    x = torch.ones(4, 3, requires_grad=True)
    y = x[torch.tensor([0, 2])]
    assert saved_attrs(y.grad_fn) == {"indices": "(int64[2])", "self_sym_sizes": "(4, 3)"}


def test_saved_tensors_marked_freed_after_a_pass_without_retain_graph():
    """The tensor is gone, the plain number (the exponent) stays readable."""
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x.pow(3)
    before = saved_attrs(y.grad_fn)
    y.sum().backward()
    assert before == {"exponent": "3", "self": "float32[2]"}
    assert saved_values(y.grad_fn) == {"exponent": 3, "self": FREED}
    assert saved_attrs(y.grad_fn) == {"exponent": "3", "self": FREED}


def test_retain_graph_keeps_them():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    y.sum().backward(retain_graph=True)
    assert saved_attrs(y.grad_fn) == {"other": "float32[2]", "self": "float32[2]"}


def test_long_values_cut_to_sixty_characters():
    x = torch.ones(*([1] * 25), 2, requires_grad=True)
    text = saved_attrs(x.view(2).grad_fn)["self_sym_sizes"]
    assert len(text) == 60
    assert text.startswith("(1, 1, 1") and text.endswith("...")


def test_describe_keeps_freed_and_formats_the_rest():
    values = {"a": FREED, "b": SavedTensor((torch.int64, torch.Size([]))), "c": 0.5, "d": None}
    assert describe(values) == {"a": FREED, "b": "int64[]", "c": "0.5", "d": "None"}


def test_leaf_node_has_no_saved_values():
    x = torch.ones(2, requires_grad=True)
    assert saved_values(x.exp().grad_fn.next_functions[0][0]) == {}


def test_record_shows_attrs_read_before_the_pass_freed_them():
    """The pass reads saved values before it runs (PassHooks), so the record of
    a program whose one backward freed them still shows dtype and shape."""
    record = run_in_process(
        "import torch\n"
        "x = torch.tensor([1.0, 2.0], requires_grad=True)\n"
        "y = x.pow(2)\n"
        "loss = (y * x).sum()\n"
        "loss.backward()\n"
    )
    assert record.named("y").attrs == {"exponent": "2", "self": "float32[2]"}
    mul = next(n for n in record.nodes if n.op == "MulBackward0")
    assert mul.attrs == {"other": "float32[2]", "self": "float32[2]"}
