"""Truncated backpropagation through time: a hand-written RNN whose hidden state is detached every k steps."""
import torch

torch.manual_seed(62)
n_hidden = 8
W_xh = (0.5 * torch.randn(1, n_hidden)).requires_grad_()
W_hh = (0.3 * torch.randn(n_hidden, n_hidden)).requires_grad_()
b_h = torch.zeros(n_hidden, requires_grad=True)
W_hy = (0.5 * torch.randn(n_hidden, 1)).requires_grad_()
b_y = torch.zeros(1, requires_grad=True)
weights = [W_xh, W_hh, b_h, W_hy, b_y]
opt = torch.optim.SGD(weights, lr=0.05)

t = torch.arange(40, dtype=torch.float32) * 0.3
series = torch.sin(t).unsqueeze(1)  # predict the next value of a sine wave
k = 8  # backpropagate through at most k time steps

for epoch in range(3):
    h = torch.zeros(1, n_hidden)
    total = 0.0
    for start in range(0, len(series) - 1, k):
        h = h.detach()  # keep the state's value, forget how it was computed
        opt.zero_grad()
        steps = range(start, min(start + k, len(series) - 1))
        loss = 0.0
        for i in steps:
            h = torch.tanh(series[i : i + 1] @ W_xh + h @ W_hh + b_h)
            pred = h @ W_hy + b_y
            loss = loss + ((pred - series[i + 1 : i + 2]) ** 2).sum()
        loss = loss / len(steps)
        loss.backward()
        opt.step()
        total += loss.item()
    print(f"epoch {epoch} mean chunk loss {total / 5:.4f}")
