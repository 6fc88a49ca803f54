import torch

x = torch.ones(2, 2, requires_grad=True)
print(x)

# torch.add records an AddBackward0 node as the creator of y
y = torch.add(x, 1)
print(y)

# One backward pass so every node in the graph gets a gradient
total = y.sum()
total.backward()
print(x.grad)
