import torch

x = torch.tensor([[1.0, 2, 3], [4, 5, 6], [7, 8, 9]], requires_grad=True)
w = torch.tensor([[1.0, 2, 3], [4, 5, 6]], requires_grad=True)

y = torch.matmul(x, w.T)
print(y)

# y is a 3x2 matrix, so backward needs a weight for each of its entries
v = torch.ones_like(y)
print(v)
y.backward(gradient=v)
print(x.grad)
print(w.grad)
