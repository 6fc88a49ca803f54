import torch

torch.manual_seed(0)

# Built without requires_grad: autograd records nothing for these operations
a = torch.randn(2, 2)
a = (a * 3) / (a - 1)
print(a.requires_grad)

# Switching the flag on in place turns a into a leaf that autograd tracks
a.requires_grad_(True)
print(a.requires_grad)

b = a + 1
print(b)

total = b.sum()
total.backward()
print(a.grad)
