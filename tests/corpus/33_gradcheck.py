"""torch.autograd.gradcheck on a custom Function in double precision."""
import torch


class Cube(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 3 * x ** 2 * grad


torch.manual_seed(25)
x = torch.randn(3, dtype=torch.double, requires_grad=True)
print("gradcheck:", torch.autograd.gradcheck(Cube.apply, (x,)))
Cube.apply(x).sum().backward()
print(x.grad)
