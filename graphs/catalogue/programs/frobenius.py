import torch

torch.manual_seed(0)
x = torch.randn(10, 4, requires_grad=True)
w = torch.randn(4, 4, requires_grad=True)
b = torch.randn(10, 4, requires_grad=True)

# y = ||X W + b||_F^2, the squared Frobenius norm
y = (x.mm(w) + b).pow(2).sum()
print(y)

y.backward()
print(x.grad)
print(w.grad)
print(b.grad)
