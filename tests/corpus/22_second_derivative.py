"""A second derivative with create_graph=True."""
import torch

t = torch.tensor(1.5, requires_grad=True)
position = t ** 3 - 2 * t
(velocity,) = torch.autograd.grad(position, t, create_graph=True)
(acceleration,) = torch.autograd.grad(velocity, t, create_graph=True)
acceleration.backward()
print(f"v={velocity.item()}, a={acceleration.item()}, jerk={t.grad.item()}")
