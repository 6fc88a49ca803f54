"""A script that stops itself with sys.exit() once its loss is small enough."""
import sys

import torch

w = torch.tensor(5.0, requires_grad=True)
for step in range(100):
    loss = (w - 1.0) ** 2
    loss.backward()
    with torch.no_grad():
        w -= 0.2 * w.grad
        w.grad.zero_()
    if loss.item() < 1e-3:
        print(f"converged at step {step}")
        sys.exit(0)
