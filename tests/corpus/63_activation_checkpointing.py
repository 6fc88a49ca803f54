"""Activation checkpointing: torch.utils.checkpoint runs the middle block of an MLP again during backward."""
import torch
import torch.nn as nn
from torch.utils.checkpoint import checkpoint

torch.manual_seed(63)


class CheckpointedMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(4, 16)
        self.block = nn.Sequential(nn.Linear(16, 16), nn.GELU(), nn.Linear(16, 16), nn.GELU())
        self.out = nn.Linear(16, 1)

    def forward(self, x):
        h = torch.relu(self.inp(x))
        # the block's inner activations are not stored; backward recomputes them
        h = checkpoint(self.block, h, use_reentrant=False)
        return self.out(h)


model = CheckpointedMLP()
opt = torch.optim.SGD(model.parameters(), lr=0.05)
x = torch.randn(10, 4)
y = x.sum(dim=1, keepdim=True)
for step in range(4):
    opt.zero_grad()
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
    opt.step()
    print(f"step {step} loss {loss.item():.4f}")

# one more pass without stepping, and the same gradient without checkpointing
opt.zero_grad()
loss = ((model(x) - y) ** 2).mean()
loss.backward()
plain_out = model.out(model.block(torch.relu(model.inp(x))))
plain_loss = ((plain_out - y) ** 2).mean()
plain_grads = torch.autograd.grad(plain_loss, list(model.parameters()))
for (name, p), g in zip(model.named_parameters(), plain_grads):
    assert torch.allclose(p.grad, g, atol=1e-6), name
print("checkpointed gradients match the plain ones")
