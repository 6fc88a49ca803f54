"""The old torch.Tensor([...]) constructor still builds float leaves."""
import torch

weights = torch.Tensor([[0.1, 0.2], [0.3, 0.4]])
weights.requires_grad_()
inputs = torch.Tensor([1, 2])
out = torch.sigmoid(weights @ inputs).sum()
out.backward()
print(weights.grad)
