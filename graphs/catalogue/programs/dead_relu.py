import torch
import torch.nn as nn

torch.manual_seed(0)
hidden = nn.Linear(4, 8)
out = nn.Linear(8, 1)
with torch.no_grad():
    hidden.bias.fill_(-10.0)
x = torch.randn(16, 4)
y = torch.randn(16, 1)
h = torch.relu(hidden(x))
loss = (out(h) - y).pow(2).mean()
loss.backward()
print(loss)
print(hidden.weight.grad.abs().max())
