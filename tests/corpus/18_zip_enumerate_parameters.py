"""A hand-written SGD over model.parameters() with zip and enumerate."""
import torch
import torch.nn as nn

torch.manual_seed(9)
net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
lrs = [0.1, 0.1, 0.05, 0.05]
x, y = torch.randn(6, 3), torch.randn(6, 2)
loss = ((net(x) - y) ** 2).sum()
loss.backward()
with torch.no_grad():
    for i, (param, lr) in enumerate(zip(net.parameters(), lrs)):
        print(i, tuple(param.shape), f"{param.grad.abs().max().item():.4f}")
        param -= lr * param.grad
second = ((net(x) - y) ** 2).sum()
print(f"loss {loss.item():.3f} -> {second.item():.3f}")
