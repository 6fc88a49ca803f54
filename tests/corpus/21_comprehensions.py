"""List, dict and generator comprehensions building a loss."""
import torch

torch.manual_seed(10)
params = [torch.randn(2, requires_grad=True) for _ in range(3)]
scaled = {i: p * (i + 1) for i, p in enumerate(params)}
loss = sum((v ** 2).sum() for v in scaled.values())
loss.backward()
print([p.grad.tolist() for p in params])
