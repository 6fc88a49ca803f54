import torch
import torch.nn as nn

torch.manual_seed(0)
x = torch.randn(100, 1, requires_grad=True)
y = torch.randn(100, 1, requires_grad=True)
w1 = torch.randn(1, 10, requires_grad=True)
w2 = torch.randn(10, 1, requires_grad=True)
b1 = torch.randn(100, 10, requires_grad=True)
b2 = torch.randn(100, 1, requires_grad=True)

# f = ||Y - ((S(X W1) + b1) W2 + b2)||_F^2 with S the sigmoid
tm = nn.Sigmoid()
s = tm(x.mm(w1))
yp = (s + b1).mm(w2) + b2
f1 = (y - yp).pow(2).sum()
print(f1)

f1.backward()
print(w1.grad)
print(w2.grad)
print(x.grad[0:3])
print(y.grad[0:3])
print(b1.grad[0:2])
print(b2.grad[0:3])
