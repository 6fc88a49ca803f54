"""A single neuron in the style of a scalar autograd engine."""
import torch

x1 = torch.tensor(2.0, requires_grad=True)
x2 = torch.tensor(0.0, requires_grad=True)
w1 = torch.tensor(-3.0, requires_grad=True)
w2 = torch.tensor(1.0, requires_grad=True)
bias = torch.tensor(6.881373587, requires_grad=True)
n = x1 * w1 + x2 * w2 + bias
o = torch.tanh(n)
o.backward()
for name, t in [("x1", x1), ("x2", x2), ("w1", w1), ("w2", w2)]:
    print(name, round(t.grad.item(), 4))
