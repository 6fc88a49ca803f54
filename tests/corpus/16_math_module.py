"""Using the math module for constants next to torch."""
import math

import torch

angle = torch.tensor(math.pi / 6, requires_grad=True)
radius = torch.tensor(2.0, requires_grad=True)
area = 0.5 * radius ** 2 * torch.sin(2 * angle)
area.backward()
print(f"area {area.item():.4f}; d/dangle {angle.grad.item():.4f} vs {2 * math.cos(math.pi / 3):.4f}")
