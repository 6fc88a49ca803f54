import torch

x = torch.ones(2, 2, requires_grad=True)
x2 = torch.tensor([[1.0, 2.0], [3.0, 1.0]], requires_grad=True)

y = x + x2
print(y)

z = y * y * 3
out = z.mean()
print(z, out)

out.backward(retain_graph=True)

# Both leaves receive the same gradient. y is not a leaf, so torch keeps
# no y.grad; the figure shows the gradient that reached it all the same.
print(x.requires_grad, x.grad)
print(x2.requires_grad, x2.grad)
