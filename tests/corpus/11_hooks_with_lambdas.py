"""Tensor hooks as lambdas: look at, and scale, a gradient on its way back."""
import torch

seen = []
a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
b = a * 2
b.register_hook(lambda grad: seen.append(grad.clone()))
c = b.pow(2)
c.register_hook(lambda grad: grad * 0.5)
c.sum().backward()
print("gradient reaching b:", seen[0].tolist())
print("a.grad:", a.grad.tolist())
