"""nn.Parameter inside a module that does its own matrix product."""
import torch
import torch.nn as nn

torch.manual_seed(12)


class Bilinear(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.matrix = nn.Parameter(torch.randn(n, n) * 0.1)
        self.scale = nn.Parameter(torch.ones(1))

    def forward(self, u, v):
        return self.scale * (u @ self.matrix * v).sum(dim=-1)


form = Bilinear(3)
u, v = torch.randn(2, 3), torch.randn(2, 3)
score = form(u, v).mean()
score.backward()
print(form.matrix.grad, form.scale.grad)
