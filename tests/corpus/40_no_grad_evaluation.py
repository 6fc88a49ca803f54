"""Evaluation under torch.no_grad() and inference_mode makes no graph."""
import torch
import torch.nn as nn

torch.manual_seed(22)
model = nn.Sequential(nn.Linear(3, 3), nn.Sigmoid())
x = torch.randn(2, 3)
with torch.no_grad():
    evaluated = model(x)
with torch.inference_mode():
    inferred = model(x)
train_loss = model(x).sum()
train_loss.backward()
print(evaluated.requires_grad, inferred.requires_grad, model[0].bias.grad)
