"""The smallest graph there is: y = 3x^2 + 2x, and dy/dx at x = 2."""
import torch

x = torch.tensor(2.0, requires_grad=True)
y = 3 * x ** 2 + 2 * x
y.backward()
print(f"y = {y.item():.1f}, dy/dx = {x.grad.item():.1f}")
