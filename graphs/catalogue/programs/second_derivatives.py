import torch

x1 = torch.tensor(3.0, requires_grad=True)
x2 = torch.tensor(1.0, requires_grad=True)
y = x1 ** 2 + x2 ** 2 + x1 * x2

# First derivatives; create_graph=True records them as a graph of their own
x1_1 = torch.autograd.grad(y, x1, retain_graph=True, create_graph=True)[0]
x2_1 = torch.autograd.grad(y, x2, retain_graph=True, create_graph=True)[0]
print(x1_1, x2_1)

# Second derivatives: differentiate the first derivatives again
x1_11 = torch.autograd.grad(x1_1, x1, retain_graph=True)[0]
x1_12 = torch.autograd.grad(x1_1, x2)[0]
x2_21 = torch.autograd.grad(x2_1, x1, retain_graph=True)[0]
x2_22 = torch.autograd.grad(x2_1, x2)[0]
print(x1_11, x1_12, x2_21, x2_22)
