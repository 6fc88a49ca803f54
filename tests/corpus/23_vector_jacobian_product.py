"""backward(gradient=v) on a vector output: a vector-Jacobian product."""
import torch

x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x ** 2 + x.cumsum(0)
v = torch.tensor([1.0, 0.1, 0.01])
y.backward(gradient=v)
print("v^T J =", x.grad)
