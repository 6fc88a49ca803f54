"""A 64x64 weight matrix trained from scratch, its .grad zeroed with w.grad.zero_() after
every backward, the last one too: the gradients left at the end are zeros."""
import torch

torch.manual_seed(68)
w = (torch.randn(64, 64) / 8).requires_grad_()  # 4,096 entries
b = torch.zeros(64, requires_grad=True)
x = torch.randn(16, 64)
target = torch.roll(x, shifts=1, dims=1)  # learn to shift every row by one place
lr = 0.5

for step in range(40):
    pred = x @ w + b
    loss = ((pred - target) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w -= lr * w.grad
        b -= lr * b.grad
    w.grad.zero_()
    b.grad.zero_()
    if step % 10 == 0:
        print(f"step {step:2d} loss {loss.item():.4f}")
print(f"final loss {loss.item():.4f}, w.grad is all zeros: {bool((w.grad == 0).all())}")
