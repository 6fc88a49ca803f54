"""BatchNorm in train mode has gradients through the batch statistics."""
import torch
import torch.nn as nn

torch.manual_seed(16)
block = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4), nn.ReLU())
x = torch.randn(6, 4)
block.train()
out = block(x).sum()
out.backward()
block.eval()
with torch.no_grad():
    print("eval output", block(x).shape)
print(block[1].weight.grad)
