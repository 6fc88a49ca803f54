"""Python's random module, seeded, picking mini-batches."""
import random

import torch

random.seed(8)
torch.manual_seed(8)
data = torch.randn(20, 3)
targets = data @ torch.tensor([1.0, -2.0, 0.5])
w = torch.zeros(3, requires_grad=True)
for _ in range(25):
    batch = random.sample(range(20), 5)
    error = data[batch] @ w - targets[batch]
    loss = (error ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w -= 0.1 * w.grad
        w.grad.zero_()
print("w", [f"{v:.3f}" for v in w.tolist()])
