"""retain_grad() keeps a non-leaf's gradient in .grad."""
import torch

x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
h = x.exp()
h.retain_grad()
out = (h * x).mean()
out.backward()
print("dout/dh", h.grad)
print("dout/dx", x.grad)
