"""torch.autograd.functional with vectorize=True: Jacobians and a Hessian by vmap."""
import torch
from torch.autograd.functional import hessian, jacobian


def f(v):
    return torch.stack([v[0] * v[1], v[0] ** 2 + torch.sin(v[1]), v.exp().sum()])


def energy(v):
    return (v ** 3).sum() + v.prod()


point = torch.tensor([1.0, 2.0], requires_grad=True)
J = jacobian(f, point, vectorize=True)
J_forward = jacobian(f, point, vectorize=True, strategy="forward-mode")
H = hessian(energy, point, vectorize=True)
H_forward = hessian(energy, point, vectorize=True, outer_jacobian_strategy="forward-mode")
assert torch.allclose(J, J_forward) and torch.allclose(H, H_forward)
J_graph = jacobian(f, point, vectorize=True, create_graph=True)
penalty = J_graph.pow(2).sum()  # a Jacobian penalty, differentiated once more
penalty.backward()
print("J =", J, "H =", H, "d penalty / d point =", point.grad, sep="\n")
