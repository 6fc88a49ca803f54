"""A custom autograd.Function that keeps only its inputs: backward recomputes the forward
and asks torch.autograd.grad for the gradient."""
import torch


class RecomputedSwish(torch.autograd.Function):
    """y = x * sigmoid(beta * x), with beta learned."""

    @staticmethod
    def forward(ctx, x, beta):
        ctx.save_for_backward(x, beta)
        return x * torch.sigmoid(beta * x)

    @staticmethod
    def backward(ctx, grad_output):
        x, beta = ctx.saved_tensors
        with torch.enable_grad():  # backward runs with grad mode off
            x_again = x.detach().requires_grad_()
            beta_again = beta.detach().requires_grad_()
            y = x_again * torch.sigmoid(beta_again * x_again)
            grad_x, grad_beta = torch.autograd.grad(y, (x_again, beta_again), grad_output)
        return grad_x, grad_beta


torch.manual_seed(65)
w = torch.randn(3, 4, requires_grad=True)
beta = torch.tensor([1.0], requires_grad=True)
inputs = torch.randn(6, 3)
target = torch.randn(6, 4)

out = RecomputedSwish.apply(inputs @ w, beta)
loss = ((out - target) ** 2).mean()
loss.backward()

# check against autograd on the same formula written out
pre = inputs @ w
plain = ((pre * torch.sigmoid(beta * pre) - target) ** 2).mean()
check_w, check_beta = torch.autograd.grad(plain, (w, beta))
assert torch.allclose(w.grad, check_w, atol=1e-6) and torch.allclose(beta.grad, check_beta, atol=1e-6)
print("w.grad", w.grad)
print("beta.grad", beta.grad)
