"""Checking autograd against a finite difference, with assert."""
import torch


def g(z):
    return torch.exp(-z ** 2) * torch.cos(3 * z)


z = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
g(z).backward()
eps = 1e-6
numeric = (g(z.detach() + eps) - g(z.detach() - eps)) / (2 * eps)
assert abs(numeric.item() - z.grad.item()) < 1e-6, "autograd disagrees"
print(f"analytic {z.grad.item():.8f} numeric {numeric.item():.8f}")
