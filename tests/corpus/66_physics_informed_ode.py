"""A physics-informed loss: a small MLP u(x) pushed towards u'' + u = 0 with u(0) = 0 and u'(0) = 1.

The derivatives du/dx and d2u/dx2 come from torch.autograd.grad with create_graph=True,
so the loss can be differentiated once more with respect to the weights.
"""
import math

import torch
import torch.nn as nn

torch.manual_seed(66)
u = nn.Sequential(nn.Linear(1, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 1))
opt = torch.optim.Adam(u.parameters(), lr=0.01)
x = torch.linspace(0, math.pi / 2, 24).unsqueeze(1).requires_grad_()  # collocation points
x0 = torch.zeros(1, 1, requires_grad=True)  # the boundary point

for step in range(30):
    opt.zero_grad()
    u_x = u(x)
    du = torch.autograd.grad(u_x, x, grad_outputs=torch.ones_like(u_x), create_graph=True)[0]
    d2u = torch.autograd.grad(du, x, grad_outputs=torch.ones_like(du), create_graph=True)[0]
    residual = d2u + u_x  # the ODE u'' + u = 0
    u_0 = u(x0)
    du_0 = torch.autograd.grad(u_0, x0, grad_outputs=torch.ones_like(u_0), create_graph=True)[0]
    boundary = u_0**2 + (du_0 - 1.0) ** 2
    loss = (residual**2).mean() + boundary.sum()
    loss.backward()
    opt.step()
    if step % 10 == 0:
        print(f"step {step:2d} loss {loss.item():.5f}")

with torch.no_grad():
    error = (u(x) - torch.sin(x)).abs().max()
print(f"final loss {loss.item():.5f}, max |u - sin| = {error.item():.3f}")
