"""Seed-style programs run through the snippet interpreter give torch's own numbers."""
from __future__ import annotations

import textwrap

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from graphs.snippet import interpret, parse


class Recording:
    """A recorder double that remembers what the interpreter told it."""

    def __init__(self):
        self.lines: list[int] = []
        self.labels: list[tuple[str, bool, torch.Tensor]] = []
        self.grad_fns: list[str | None] = []  # the tensor's grad_fn when it was labelled

    def set_line(self, line: int) -> None:
        self.lines.append(line)

    def label(self, tensor: torch.Tensor, text: str, explicit: bool) -> None:
        self.labels.append((text, explicit, tensor))
        self.grad_fns.append(type(tensor.grad_fn).__name__ if tensor.grad_fn else None)


def run(source: str, recorder=None):
    return interpret(parse(textwrap.dedent(source)), recorder)


def test_two_layer_network_gradients_match_torch():
    out = run("""
        import torch
        x = torch.tensor([[1.0]])
        y = torch.tensor([[1.0], [0.0]])
        w1 = torch.tensor([[1.0], [2.0]], requires_grad=True)
        w2 = torch.tensor([[3.0, 4.0], [5.0, 6.0]], requires_grad=True)
        z_1 = torch.mm(w1, x)
        z_1.retain_grad()
        y_1 = torch.sigmoid(z_1)
        z_2 = torch.mm(w2, y_1)
        y_2 = torch.sigmoid(z_2)
        loss = 1/2*(((y_2 - y)**2).sum())
        loss.backward()
    """).namespace
    w1 = torch.tensor([[1.0], [2.0]], requires_grad=True)
    w2 = torch.tensor([[3.0, 4.0], [5.0, 6.0]], requires_grad=True)
    y_2 = torch.sigmoid(w2 @ torch.sigmoid(w1 @ torch.tensor([[1.0]])))
    (0.5 * ((y_2 - torch.tensor([[1.0], [0.0]])) ** 2).sum()).backward()
    assert torch.equal(out["w1"].grad, w1.grad)
    assert torch.equal(out["w2"].grad, w2.grad)
    assert out["loss"].item() == pytest.approx(0.49987438321113586)
    assert out["z_1"].grad.flatten().tolist() == pytest.approx([1.2243e-04, 7.8005e-05], rel=1e-3)


def test_seeded_matrix_network_matches_torch():
    out = run("""
        import torch
        import numpy as np
        import torch.nn as nn
        torch.manual_seed(0)
        x = torch.randn(100, 1, requires_grad=True)
        y = torch.randn(100, 1, requires_grad=True)
        w1 = torch.randn(1, 10, requires_grad=True)
        w2 = torch.randn(10, 1, requires_grad=True)
        b1 = torch.randn(100, 10, requires_grad=True)
        b2 = torch.randn(100, 1, requires_grad=True)
        print("x : ", np.shape(x))
        tm = nn.Sigmoid()
        s = tm(x.mm(w1))
        yp = (s+b1).mm(w2)+b2
        f1 = (y - yp).pow(2).sum()
        f1.backward()
    """)
    torch.manual_seed(0)
    x, y = torch.randn(100, 1, requires_grad=True), torch.randn(100, 1, requires_grad=True)
    w1, w2 = torch.randn(1, 10, requires_grad=True), torch.randn(10, 1, requires_grad=True)
    b1, b2 = torch.randn(100, 10, requires_grad=True), torch.randn(100, 1, requires_grad=True)
    f1 = (y - ((torch.sigmoid(x.mm(w1)) + b1).mm(w2) + b2)).pow(2).sum()
    f1.backward()
    ns = out.namespace
    assert ns["f1"].item() == pytest.approx(1010.4425, abs=1e-3)
    for name, leaf in {"x": x, "w1": w1, "w2": w2, "b1": b1}.items():
        assert torch.allclose(ns[name].grad, leaf.grad), name
    assert out.prints == ["x :  torch.Size([100, 1])"]


def test_jacobian_rows_by_index_assignment_and_zeroing():
    out = run("""
        a = torch.tensor([1.0,2.0,3.0], requires_grad=True)
        b = torch.zeros(3)
        b[0] = a[0]**2 + a[1]
        b[1] = a[1]+a[2]
        b[2] = a[2]**3
        b.backward(torch.tensor([1,0,0]), retain_graph=True)
        print(a.grad)
        a.grad.zero_()
        b.backward(torch.tensor([0,1,0]), retain_graph=True)
        print(a.grad)
        a.grad.data.zero_()
        b.backward(torch.tensor([0,0,1]), retain_graph=True)
        print(a.grad)
    """)
    assert out.prints == ["tensor([2., 1., 0.])", "tensor([0., 1., 1.])", "tensor([ 0.,  0., 27.])"]
    assert type(out.namespace["b"].grad_fn).__name__ == "CopySlices"


def test_second_derivatives_with_autograd_grad():
    ns = run("""
        x1 = torch.tensor(3., requires_grad=True)
        x2 = torch.tensor(1., requires_grad=True)
        y = x1**2+x2**2+x1*x2
        x1_1 = torch.autograd.grad(y, x1, retain_graph=True, create_graph=True)[0]
        x2_1 = torch.autograd.grad(y, x2, retain_graph=True, create_graph=True)[0]
        x1_11 = torch.autograd.grad(x1_1, x1)[0]
        x1_12 = torch.autograd.grad(x1_1, x2)[0]
        x2_22 = torch.autograd.grad(x2_1, x2)[0]
    """).namespace
    assert [ns[k].item() for k in ("x1_1", "x2_1", "x1_11", "x1_12", "x2_22")] == [7, 5, 2, 1, 2]


def test_vector_backward_with_gradient_keyword_and_transpose():
    ns = run("""
        x = torch.tensor([[1.0, 2, 3],[4, 5, 6],[7, 8, 9]], requires_grad=True)
        w = torch.tensor([[1.0, 2, 3],[4, 5, 6]], requires_grad=True)
        y = torch.matmul(x, w.T)
        y.backward(gradient = torch.ones_like(y))
        v = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float)
        u = torch.ones(3, requires_grad=True)
        z = u * 2 * 2
        z.backward(gradient=v)
    """).namespace
    assert ns["x"].grad.tolist() == [[5.0, 7.0, 9.0]] * 3
    assert ns["u"].grad.tolist() == pytest.approx([0.4, 4.0, 0.0004])


def test_training_loop_under_no_grad_matches_torch():
    ns = run("""
        torch.manual_seed(1)
        layer = nn.Linear(3, 2)
        x = torch.randn(4, 3)
        target = torch.randn(4, 2)
        loss_fn = nn.MSELoss()
        w = torch.ones(3, requires_grad=True)
        for i in range(5):
            loss = loss_fn(layer(x * w), target)
            loss.backward()
            with torch.no_grad():
                w -= 0.1 * w.grad
                layer.weight.sub_(0.1 * layer.weight.grad)
                layer.bias.data -= 0.1 * layer.bias.grad
            w.grad.zero_()
            layer.weight.grad.zero_()
            layer.bias.grad = None
    """).namespace
    torch.manual_seed(1)
    layer = nn.Linear(3, 2)
    x, target = torch.randn(4, 3), torch.randn(4, 2)
    w = torch.ones(3, requires_grad=True)
    for _ in range(5):
        F.mse_loss(layer(x * w), target).backward()
        with torch.no_grad():
            w -= 0.1 * w.grad
            layer.weight -= 0.1 * layer.weight.grad
            layer.bias -= 0.1 * layer.bias.grad
        w.grad.zero_()
        layer.weight.grad.zero_()
        layer.bias.grad = None
    assert torch.allclose(ns["w"], w)
    assert torch.allclose(ns["layer"].weight, layer.weight)
    assert ns["i"] == 4 and ns["w"].is_leaf


def test_functional_losses_and_activations_match_torch():
    ns = run("""
        logits = torch.tensor([[1.0, 2.0, 0.5], [0.1, 0.2, 3.0]], requires_grad=True)
        labels = torch.tensor([1, 2])
        ce = F.cross_entropy(logits, labels)
        p = F.sigmoid(logits)
        bce = F.binary_cross_entropy(p, torch.ones(2, 3), reduction="sum")
        mse = F.mse_loss(F.relu(logits), torch.zeros(2, 3))
        sm = F.softmax(logits, dim=1).max(dim=1)[0].sum() + F.log_softmax(logits, dim=0).mean()
        total = ce + bce + mse + sm + nn.CrossEntropyLoss()(logits, labels) + nn.BCELoss()(p, torch.ones(2, 3))
        total.backward()
    """).namespace
    logits = torch.tensor([[1.0, 2.0, 0.5], [0.1, 0.2, 3.0]], requires_grad=True)
    labels = torch.tensor([1, 2])
    p = torch.sigmoid(logits)
    total = (F.cross_entropy(logits, labels) * 2
             + F.binary_cross_entropy(p, torch.ones(2, 3), reduction="sum")
             + F.mse_loss(torch.relu(logits), torch.zeros(2, 3))
             + torch.softmax(logits, 1).max(1)[0].sum() + torch.log_softmax(logits, 0).mean()
             + F.binary_cross_entropy(p, torch.ones(2, 3)))
    total.backward()
    assert ns["total"].item() == pytest.approx(total.item(), rel=1e-6)
    assert torch.allclose(ns["logits"].grad, logits.grad)


def test_matmul_operator_and_mixed_arithmetic():
    ns = run("a = torch.tensor([1.0, 2.0])\nb = torch.tensor([3.0, 4.0])\n"
             "c = a @ b\nd = (a + b - a * b / 2) ** 2 // 1 % 5").namespace
    a, b = torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0])
    assert ns["c"].item() == 11.0
    assert torch.equal(ns["d"], (a + b - a * b / 2) ** 2 // 1 % 5)


def test_python_numbers_and_tensor_helpers():
    ns = run("""
        x = torch.arange(6, dtype=torch.float).reshape(2, 3)
        n = x.numel() // 2 % 4 + len(x) - x.size(1) + x.shape[0] ** 2
        m = x.view(3, 2).t().flatten().unsqueeze(0).squeeze(0).expand(2, 6).clone()
        k = torch.stack([x, x]).sum(dim=0, keepdim=True).mean().item()
        e = torch.eye(2) + torch.full((2, 2), 0.5) + torch.linspace(0, 1, 2) + torch.zeros_like(torch.eye(2))
        d = torch.dot(x[0], x[1]) + torch.mv(x, torch.ones(3)).sum() + torch.norm(x)
        bm = torch.bmm(torch.ones(2, 2, 3), torch.ones(2, 3, 1)).shape
        sl = x[:, 1:][..., None][0, -1, 0].item()
        flag = x.requires_grad is False and not x.is_leaf is False
        f = float(x.max()) + int(x.min()) + abs(-2) + round(2.6)
        q = x.abs().sqrt().exp().log().tanh().relu().softmax(1).log_softmax(1).pow(2).sum()
        picked = x[torch.tensor([1, 0])][0, 0].item()
        big = 3 if x.sum() > 10 else 4
        if big == 3:
            branch = "yes"
        else:
            branch = "no"
    """).namespace
    x = torch.arange(6, dtype=torch.float).reshape(2, 3)
    assert ns["n"] == 6 // 2 % 4 + 2 - 3 + 4
    assert torch.equal(ns["m"], x.view(3, 2).t().flatten().expand(2, 6))
    assert ns["k"] == pytest.approx(2 * x.mean().item())
    assert ns["e"].tolist() == [[1.5, 1.5], [0.5, 2.5]]
    assert ns["d"].item() == pytest.approx((x[0] @ x[1] + (x @ torch.ones(3)).sum() + x.norm()).item())
    assert ns["bm"] == torch.Size([2, 2, 1])
    assert ns["sl"] == 2.0 and ns["flag"] is True and ns["f"] == 5.0 + 0 + 2 + 3
    assert ns["q"].item() == pytest.approx(
        x.abs().sqrt().exp().log().tanh().relu().softmax(1).log_softmax(1).pow(2).sum().item())
    assert ns["picked"] == 3.0 and ns["big"] == 3 and ns["branch"] == "yes"


def test_print_capture_formats_like_print():
    out = run("""
        x = torch.ones(2, 2, requires_grad=True)
        y = x + 2
        print(y)
        print(x.requires_grad, x.grad, y.grad_fn is not None)
        print("a", 1, 2.5, None, sep="-", end="!")
        print()
        print(y.dtype, y.shape, sep="")
    """)
    assert out.prints == [
        "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)",
        "True None True",
        "a-1-2.5-None!",
        "",
        "torch.float32torch.Size([2, 2])",
    ]


def test_grad_fn_prints_its_repr():
    out = run("x = torch.ones(2, requires_grad=True)\ny = (x * 3).mean()\nprint(y.grad_fn)")
    assert out.prints[0].startswith("<MeanBackward0 object at 0x")


def test_recorder_hears_lines_and_names():
    rec = Recording()
    run("""
        x = torch.ones(2, requires_grad=True)
        y = x * x + 1
        a, b = y, x.sum()
        y[0] = 5.0
        y += 1
        for i in range(2):
            z = y.sum()
    """, rec)
    assert rec.lines == [2, 3, 4, 5, 6, 7, 8, 8]
    texts = [(text, explicit) for text, explicit, _ in rec.labels]
    assert ("x * x", False) in texts and ("x * x + 1", False) in texts
    assert ("y", True) in texts and ("x.sum()", False) in texts
    assert texts.count(("z", True)) == 2 and ("a", True) in texts and ("b", True) in texts
    # the write through y[0] and the += relabel y, whose grad_fn changed
    relabels = [fn for (text, explicit, _), fn in zip(rec.labels, rec.grad_fns) if text == "y" and explicit]
    assert relabels == ["AddBackward0", "CopySlices", "AddBackward0"]
    assert not any(text in ("x", "y") and not explicit for text, explicit, _ in rec.labels)


def test_chained_assignment_labels_every_name():
    rec = Recording()
    ns = run("p = q = torch.ones(1) * 2", rec).namespace
    assert ns["p"] is ns["q"]
    assert [(text, explicit) for text, explicit, _ in rec.labels] == [
        ("torch.ones(1)", False), ("torch.ones(1) * 2", False), ("p", True), ("q", True)]


def test_namespace_keeps_final_values_only():
    ns = run("a = 1\na = a + 1\nb = [a, 2.0]\nc = (a,)").namespace
    assert ns == {"a": 2, "b": [2, 2.0], "c": (2,)}


def test_every_accepted_import_form_and_module_path():
    ns = run("""
        import torch
        import torch.nn
        import torch.nn.functional
        import torch.autograd
        import torch.nn as nn
        import torch.nn.functional as F
        from torch import nn
        from torch.nn import functional as F
        import numpy
        import numpy as np
        x = torch.tensor([[-1.0, 2.0]], requires_grad=True)
        a = torch.nn.functional.relu(x) + nn.functional.relu(x) + F.relu(x) + torch.nn.ReLU()(x)
        layer = torch.nn.Linear(2, 1, bias=False)
        y = layer(a).sum() + F.linear(x, layer.weight).sum()
        shape = numpy.shape(x)
    """).namespace
    assert ns["a"].tolist() == [[0.0, 8.0]]
    weight = ns["layer"].weight
    assert ns["y"].item() == pytest.approx((ns["a"] @ weight.T).sum().item() + (ns["x"] @ weight.T).sum().item())
    assert ns["layer"].bias is None and ns["shape"] == torch.Size([1, 2])


def test_prints_are_captured_not_written(capsys):
    out = run("print('hidden', torch.ones(1))")
    assert out.prints == ["hidden tensor([1.])"]
    assert capsys.readouterr().out == ""


def test_grad_mode_contexts_and_detach():
    ns = run("""
        x = torch.ones(2, requires_grad=True)
        with torch.no_grad():
            a = x * 2
            with torch.enable_grad():
                b = x * 2
        c = (x * 3).detach()
        d = x.clone().requires_grad_(False) if False else x.clone()
    """).namespace
    assert ns["a"].requires_grad is False and ns["b"].requires_grad is True
    assert ns["c"].requires_grad is False and ns["c"].tolist() == [3.0, 3.0]
    assert type(ns["d"].grad_fn).__name__ == "CloneBackward0"
    assert torch.is_grad_enabled()


def test_non_leaf_gradients_with_retain_grad_match_torch():
    ns = run("""
        x = torch.tensor([1.0, 2.0], requires_grad=True)
        h = x.exp()
        h.retain_grad()
        out = (h * h).sum()
        out.backward()
    """).namespace
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    h = x.exp()
    h.retain_grad()
    (h * h).sum().backward()
    assert torch.equal(ns["h"].grad, h.grad) and torch.equal(ns["x"].grad, x.grad)
