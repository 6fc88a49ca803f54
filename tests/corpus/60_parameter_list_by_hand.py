"""Parameters kept in a plain list and stepped by hand: `for p in params: p -= lr * p.grad`."""
import torch

torch.manual_seed(60)
x = torch.linspace(-2, 2, 40).unsqueeze(1)
y = torch.sin(2 * x)

w1 = (0.8 * torch.randn(1, 16)).requires_grad_()
b1 = torch.zeros(16, requires_grad=True)
w2 = (0.3 * torch.randn(16, 1)).requires_grad_()
b2 = torch.zeros(1, requires_grad=True)
params = [w1, b1, w2, b2]
lr = 0.1

for step in range(150):
    for p in params:
        p.grad = None  # clear the old gradients before this step's backward
    hidden = torch.tanh(x @ w1 + b1)
    pred = hidden @ w2 + b2
    loss = ((pred - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
    if step % 50 == 0:
        print(f"step {step:3d} loss {loss.item():.4f}")
print(f"final loss {loss.item():.4f}")
