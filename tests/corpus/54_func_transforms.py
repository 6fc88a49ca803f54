"""torch.func's jacrev, jacfwd, hessian, jvp, vjp and linearize next to .backward()."""
import torch
from torch.func import hessian, jacfwd, jacrev, jvp, linearize, vjp, vmap

torch.manual_seed(54)
w = torch.randn(3, requires_grad=True)


def f(x):
    return torch.tanh(x * w).sum() + (x ** 2).sum()


x = torch.randn(3)
rows = vmap(jacrev(f))(torch.randn(4, 3))
assert torch.allclose(jacrev(f)(x), jacfwd(f)(x), atol=1e-6)
curvature = hessian(f)(x)
_, tangent_out = jvp(torch.sin, (x,), (torch.ones(3),))
_, pullback = vjp(torch.sin, x)
_, linear = linearize(torch.sin, x)
assert torch.allclose(pullback(torch.ones(3))[0], linear(torch.ones(3)))
objective = rows.sum() + curvature.trace() + f(x)
objective.backward()
print("d objective / d w:", w.grad)
