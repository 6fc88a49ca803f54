import torch

x = torch.ones(5, requires_grad=True)
w1 = torch.tensor(2.0, requires_grad=True)
w2 = torch.tensor(3.0, requires_grad=True)
b = torch.tensor(4.0, requires_grad=False)

l1 = x * w1
l2 = l1 + b
l3 = l2 * w2
y = l3.mean()
y.backward()

print(l1)
print(l2)
print(y)
print(w1.grad, w2.grad)
print(x.grad)
