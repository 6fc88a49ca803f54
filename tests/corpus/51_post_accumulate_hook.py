"""Hooks after accumulation and before it: one halves .grad, one clamps what arrives."""
import torch

w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
b = torch.tensor([0.5, 0.5, 0.5], requires_grad=True)


def halve(parameter):
    parameter.grad.mul_(0.5)


w.register_post_accumulate_grad_hook(halve)
b.register_hook(lambda grad: grad.clamp(max=1.0))
x = torch.tensor([2.0, -1.0, 4.0])
for step in range(2):
    loss = ((w * x + b) ** 2).sum()
    loss.backward()
print("w.grad", w.grad, "b.grad", b.grad)
