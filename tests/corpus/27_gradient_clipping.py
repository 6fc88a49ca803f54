"""Clipping gradients by norm before the step."""
import torch
import torch.nn as nn

torch.manual_seed(13)
model = nn.Linear(5, 5)
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
x = torch.randn(8, 5) * 10
for _ in range(3):
    opt.zero_grad()
    loss = model(x).pow(2).mean()
    loss.backward()
    total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    opt.step()
    print(f"norm before clipping {total.item():.2f}")
