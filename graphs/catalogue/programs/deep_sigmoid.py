import torch
import torch.nn as nn

torch.manual_seed(0)
layers = nn.ModuleList(nn.Linear(16, 16) for _ in range(12))
x = torch.randn(32, 16)
h = x
for layer in layers:
    h = torch.sigmoid(layer(h))
loss = h.pow(2).mean()
loss.backward()
print(loss)
print(layers[0].weight.grad.norm(), layers[-1].weight.grad.norm())
