"""Build and train a model inside `with torch.device(...)`: a block with a default device."""
import torch
import torch.nn as nn

torch.manual_seed(47)
with torch.device("cpu"):
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    points = torch.rand(32, 2) * 2 - 1
    labels = (points[:, :1] * points[:, 1:] > 0).float()
    for epoch in range(400):
        optimizer.zero_grad()
        loss = nn.functional.binary_cross_entropy_with_logits(model(points), labels)
        loss.backward()
        optimizer.step()
print(f"loss after training: {loss.item():.4f}")
