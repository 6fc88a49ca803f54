"""A plain training loop that takes a while, for the tests of long runs'
progress and Stop (the app, the command line, the notebook): each step a
tiny descent on `w` plus a 100x100 product, so its passes come steadily."""

from __future__ import annotations


def training(steps: int) -> str:
    """The loop's program text, `steps` iterations long (4,000: about two seconds)."""
    return f"""import torch
w = torch.tensor([1.0, -2.0], requires_grad=True)
for step in range({steps}):
    loss = (w * w).sum()
    loss.backward()
    with torch.no_grad():
        w -= 1e-4 * w.grad
        w.grad.zero_()
    busy = torch.ones(100, 100) @ torch.ones(100, 100)
"""
