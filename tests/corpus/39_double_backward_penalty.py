"""A gradient penalty: differentiate through a gradient (create_graph=True)."""
import torch
import torch.nn as nn

torch.manual_seed(21)
critic = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
points = torch.randn(4, 2, requires_grad=True)
scores = critic(points)
(grads,) = torch.autograd.grad(scores.sum(), points, create_graph=True)
penalty = ((grads.norm(dim=1) - 1) ** 2).mean()
penalty.backward()
print(f"penalty {penalty.item():.4f}")
