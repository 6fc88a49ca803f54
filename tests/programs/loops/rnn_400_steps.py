"""A plain RNN over 400 steps, written as a loop over weight tensors (no nn.Module)."""

import torch

torch.manual_seed(0)
steps, hidden, features = 400, 16, 8
W = (torch.randn(hidden, hidden) * 0.3).requires_grad_()
U = (torch.randn(hidden, features) * 0.3).requires_grad_()
b = torch.zeros(hidden, requires_grad=True)
x = torch.randn(steps, features)
h = torch.zeros(hidden)
for t in range(steps):
    h = torch.tanh(W @ h + U @ x[t] + b)
loss = h.pow(2).sum()
loss.backward()
print(f"loss {loss.item():.4f}")
