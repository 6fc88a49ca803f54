import torch

v = torch.tensor([0.0, 0.0, 0.0], requires_grad=True)
w = torch.tensor([1.0, 2.0, 2.0], requires_grad=True)
unit = v / v.norm()
loss = (unit * w).sum()
loss.backward()
print(unit)
print(w.grad)
