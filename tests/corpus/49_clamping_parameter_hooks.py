"""Clip every parameter's gradient with a hook while a small network trains."""
import torch
import torch.nn as nn

torch.manual_seed(49)
net = nn.Sequential(nn.Linear(3, 6), nn.Tanh(), nn.Linear(6, 1))
for parameter in net.parameters():
    parameter.register_hook(lambda grad: grad.clamp(-0.2, 0.2))

optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
data = torch.randn(20, 3)
target = data.pow(2).sum(dim=1, keepdim=True)
for step in range(50):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(net(data), target)
    loss.backward()
    optimizer.step()
largest = max(p.grad.abs().max().item() for p in net.parameters())
print(f"loss {loss.item():.4f}, largest gradient entry {largest:.3f}")
