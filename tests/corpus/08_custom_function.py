"""A custom autograd.Function: a ReLU that writes its own backward."""
import torch


class ClampedRelu(torch.autograd.Function):
    @staticmethod
    def forward(ctx, inp):
        ctx.save_for_backward(inp)
        return inp.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        (inp,) = ctx.saved_tensors
        return grad_output * (inp > 0).float()


x = torch.tensor([-1.5, 0.5, 2.0], requires_grad=True)
y = ClampedRelu.apply(x * 2)
total = (y * torch.tensor([1.0, 2.0, 3.0])).sum()
total.backward()
print("grad", x.grad.tolist())
