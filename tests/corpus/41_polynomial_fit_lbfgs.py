"""Fitting a cubic with LBFGS and a closure."""
import torch

torch.manual_seed(23)
x = torch.linspace(-1, 1, 30)
y = 0.5 * x ** 3 - x + 0.2
coeffs = torch.zeros(4, requires_grad=True)
optimizer = torch.optim.LBFGS([coeffs], lr=0.5, max_iter=20)


def closure():
    optimizer.zero_grad()
    powers = torch.stack([x ** k for k in range(4)], dim=1)
    loss = ((powers @ coeffs - y) ** 2).mean()
    loss.backward()
    return loss


for _ in range(3):
    optimizer.step(closure)
print("coefficients", [round(c, 3) for c in coeffs.tolist()])
