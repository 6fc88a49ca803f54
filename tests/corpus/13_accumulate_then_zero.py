"""Gradients add up across backward calls until zero_grad() clears them."""
import torch
import torch.nn as nn

torch.manual_seed(7)
layer = nn.Linear(2, 1)
data = torch.randn(3, 2)
for _ in range(3):
    layer(data).sum().backward()
print("after three passes", layer.weight.grad)
layer.zero_grad()
layer(data).sum().backward()
print("after zero_grad and one pass", layer.weight.grad)
