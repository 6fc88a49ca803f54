"""One self-attention head, written out with softmax(QK^T / sqrt(d)) V."""
import math

import torch
import torch.nn as nn

torch.manual_seed(20)


class Head(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.q = nn.Linear(d, d, bias=False)
        self.k = nn.Linear(d, d, bias=False)
        self.v = nn.Linear(d, d, bias=False)
        self.d = d

    def forward(self, tokens):
        scores = self.q(tokens) @ self.k(tokens).transpose(-2, -1) / math.sqrt(self.d)
        weights = scores.softmax(dim=-1)
        return weights @ self.v(tokens)


head = Head(4)
tokens = torch.randn(3, 4)
out = head(tokens).pow(2).mean()
out.backward()
print(f"out {out.item():.4f}")
