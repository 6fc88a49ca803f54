"""Dropout with a fixed seed, and a dictionary of named losses."""
import torch
import torch.nn as nn

torch.manual_seed(24)
net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(p=0.25), nn.Linear(8, 2))
x = torch.randn(5, 4)
target = torch.randn(5, 2)
out = net(x)
losses = {"mse": nn.functional.mse_loss(out, target), "l1": nn.functional.l1_loss(out, target)}
total = losses["mse"] + 0.5 * losses["l1"]
total.backward()
print({name: round(value.item(), 4) for name, value in losses.items()})
