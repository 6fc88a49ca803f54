"""AdamW with weight decay on a small regression."""
import torch
from torch import nn, optim

torch.manual_seed(14)
model = nn.Sequential(nn.Linear(3, 6), nn.GELU(), nn.Linear(6, 1))
optimizer = optim.AdamW(model.parameters(), lr=0.01, weight_decay=0.1)
x = torch.randn(20, 3)
y = x.norm(dim=1, keepdim=True)
for step in range(60):
    optimizer.zero_grad()
    loss = nn.functional.smooth_l1_loss(model(x), y)
    loss.backward()
    optimizer.step()
print(f"loss {loss.item():.4f}")
