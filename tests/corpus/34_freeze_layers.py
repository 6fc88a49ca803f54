"""Freezing a layer with requires_grad_(False): it gets no gradient."""
import torch
import torch.nn as nn

torch.manual_seed(18)
backbone = nn.Linear(4, 4)
head = nn.Linear(4, 1)
for p in backbone.parameters():
    p.requires_grad_(False)
x = torch.randn(5, 4)
loss = head(torch.relu(backbone(x))).mean()
loss.backward()
print("backbone grad:", backbone.weight.grad, "head grad norm:", head.weight.grad.norm().item())
