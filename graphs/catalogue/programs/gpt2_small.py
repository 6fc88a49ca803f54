import math

import torch
import torch.nn as nn
import torch.nn.functional as F

# A GPT-2-small-shaped language model with random weights: 12 decoder blocks,
# model width 768, 12 attention heads, on one sequence of 64 tokens. Smaller
# than GPT-2 where the graph does not change: 2,048 tokens in the vocabulary
# (GPT-2 has 50,257), room for 64 positions (1,024), and a feed-forward layer
# 768 wide (3,072), so its weights and their gradients fit the explorer's memory.
VOCAB = 2048
CONTEXT = 64
WIDTH = 768
HEADS = 12
LAYERS = 12
HIDDEN = 768


class CausalSelfAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(WIDTH, 3 * WIDTH)
        self.proj = nn.Linear(WIDTH, WIDTH)
        # Position i may look at positions 0..i only.
        self.register_buffer("causal", torch.ones(CONTEXT, CONTEXT, dtype=torch.bool).tril())

    def forward(self, x):
        batch, length, width = x.shape
        q, k, v = self.qkv(x).split(width, dim=2)
        q, k, v = [t.view(batch, length, HEADS, width // HEADS).transpose(1, 2) for t in (q, k, v)]
        scores = q @ k.transpose(-2, -1) / math.sqrt(width // HEADS)
        scores = scores.masked_fill(~self.causal[:length, :length], float("-inf"))
        attention = torch.softmax(scores, dim=-1)
        heads = attention @ v
        return self.proj(heads.transpose(1, 2).reshape(batch, length, width))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln_1 = nn.LayerNorm(WIDTH)
        self.attn = CausalSelfAttention()
        self.ln_2 = nn.LayerNorm(WIDTH)
        self.mlp = nn.Sequential(
            nn.Linear(WIDTH, HIDDEN), nn.GELU(approximate="tanh"), nn.Linear(HIDDEN, WIDTH)
        )

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(VOCAB, WIDTH)
        self.wpe = nn.Embedding(CONTEXT, WIDTH)
        self.blocks = nn.ModuleList([Block() for _ in range(LAYERS)])
        self.ln_f = nn.LayerNorm(WIDTH)
        # GPT-2's initialisation: small normal weights, zero biases.
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, std=0.02)
            if isinstance(module, nn.Linear):
                nn.init.zeros_(module.bias)

    def forward(self, tokens):
        positions = torch.arange(tokens.shape[1])
        x = self.wte(tokens) + self.wpe(positions)
        for block in self.blocks:
            x = block(x)
        # The output layer reuses the token embedding (weight tying, as GPT-2 does).
        return self.ln_f(x) @ self.wte.weight.T


torch.manual_seed(0)
model = GPT()
text = torch.randint(VOCAB, (1, CONTEXT + 1))
tokens, targets = text[:, :-1], text[:, 1:]

logits = model(tokens)
loss = F.cross_entropy(logits.view(-1, VOCAB), targets.reshape(-1))
loss.backward()
print(loss)
print(model.wte.weight.grad.norm())
