"""Cube roots by Newton's iteration, differentiated through every step:
d(root)/d(a) comes out of the unrolled iteration (it should be 1 / (3 root^2))."""

import torch

a = torch.tensor([2.0, 10.0, 30.0, 100.0], requires_grad=True)
x = torch.ones(4)
step = 0
while step < 60:
    residual = x**3 - a
    x = x - residual / (3 * x**2)
    step += 1
root = x
root.sum().backward()
print(f"roots {root.detach()}, d/da {a.grad}")
