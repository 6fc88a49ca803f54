"""torch.autograd.functional: the Jacobian and Hessian of a small function."""
import torch
from torch.autograd.functional import hessian, jacobian


def f(v):
    return torch.stack([v[0] * v[1], v[0] ** 2 + torch.sin(v[1])])


point = torch.tensor([1.0, 2.0], requires_grad=True)
print("J =", jacobian(f, point))
print("H =", hessian(lambda v: (v ** 3).sum(), point))
energy = f(point).sum()
energy.backward()
print("grad of the sum:", point.grad)
