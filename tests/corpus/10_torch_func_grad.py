"""torch.func.grad next to .backward(): the same gradient two ways."""
import torch
from torch.func import grad, vmap


def loss_fn(weights, x):
    return torch.tanh(x @ weights).pow(2).sum()


torch.manual_seed(6)
weights = torch.randn(3, requires_grad=True)
x = torch.randn(5, 3)
functional = grad(loss_fn)(weights, x)
loss = loss_fn(weights, x)
loss.backward()
assert torch.allclose(functional, weights.grad)
per_row = vmap(grad(loss_fn), in_dims=(None, 0))(weights, x)
print("per-row gradients", tuple(per_row.shape))
