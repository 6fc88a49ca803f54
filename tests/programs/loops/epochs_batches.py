"""Linear regression trained by hand over epochs x mini-batches, with plain
tensors: each epoch sums its mini-batches' losses and steps once."""

import torch

torch.manual_seed(3)
X = torch.randn(384, 5)
true_w = torch.tensor([[1.0], [-2.0], [0.5], [3.0], [0.0]])
y = X @ true_w + 0.1 * torch.randn(384, 1)
w = torch.zeros(5, 1, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
batch = 8
for epoch in range(12):
    epoch_loss = 0
    for start in range(0, len(X), batch):
        xb, yb = X[start : start + batch], y[start : start + batch]
        prediction = xb @ w + b
        epoch_loss = epoch_loss + ((prediction - yb) ** 2).mean()
    epoch_loss = epoch_loss / (len(X) // batch) + 1e-3 * (w**2).sum()
    epoch_loss.backward()
    with torch.no_grad():
        w -= 0.3 * w.grad
        b -= 0.3 * b.grad
        w.grad.zero_()
        b.grad.zero_()
    if epoch % 4 == 0:
        print(f"epoch {epoch}: loss {epoch_loss.item():.4f}")
print(f"w {w.detach().flatten()}")
