"""A broadcast bias: its gradient sums over the broadcast dimension."""
import torch

matrix = torch.arange(6.0).reshape(2, 3).requires_grad_()
row_bias = torch.tensor([1.0, -1.0, 0.5], requires_grad=True)
col_scale = torch.tensor([[2.0], [3.0]], requires_grad=True)
result = ((matrix + row_bias) * col_scale).sum()
result.backward()
print(row_bias.grad, col_scale.grad.flatten())
