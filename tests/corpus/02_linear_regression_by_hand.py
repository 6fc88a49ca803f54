"""Fit y = 2x - 1 with a hand-written gradient step (no optimizer)."""
import torch

torch.manual_seed(1)
xs = torch.linspace(-1, 1, 20).unsqueeze(1)
ys = 2 * xs - 1 + 0.05 * torch.randn(20, 1)
w = torch.zeros(1, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
lr = 0.3
for epoch in range(40):
    pred = xs * w + b
    loss = ((pred - ys) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w -= lr * w.grad
        b -= lr * b.grad
    w.grad.zero_()
    b.grad.zero_()
print(f"w={w.item():.3f} b={b.item():.3f} loss={loss.item():.5f}")
