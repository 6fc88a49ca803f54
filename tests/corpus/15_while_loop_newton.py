"""Newton's method for sqrt(2) with a while loop, derivatives from autograd."""
import torch

x = torch.tensor(1.0, requires_grad=True)
steps = 0
while True:
    f = x ** 2 - 2
    (df,) = torch.autograd.grad(f, x)
    with torch.no_grad():
        new = x - f / df
    steps += 1
    if abs(new.item() - x.item()) < 1e-6 or steps > 20:
        break
    x = new.clone().requires_grad_(True)
assert abs(x.item() - 2 ** 0.5) < 1e-5
final = x ** 3
final.backward()
print(f"sqrt(2) ~ {x.item():.6f} after {steps} steps; d(x^3)/dx = {x.grad.item():.4f}")
