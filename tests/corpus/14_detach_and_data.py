"""detach() and .data cut the graph: the cut part gets no gradient."""
import torch

w = torch.tensor([0.5, -0.5], requires_grad=True)
v = torch.tensor([2.0, 1.0], requires_grad=True)
frozen = (w * 3).detach()
raw = v.data * 4
y = (w * frozen).sum() + (v * raw).sum() + (v ** 2).sum()
y.backward()
print(w.grad, v.grad, frozen.requires_grad, raw.requires_grad)
