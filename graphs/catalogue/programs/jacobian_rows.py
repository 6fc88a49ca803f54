import torch

a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)

# b is filled entry by entry; each assignment is recorded as CopySlices
b = torch.zeros(3)
b[0] = a[0] ** 2 + a[1]
b[1] = a[1] + a[2]
b[2] = a[2] ** 3

# A one-hot gradient picks one output: the pass yields d b_i / d a.
# retain_graph keeps the graph alive for the next pass, and zero_()
# clears a.grad so the rows do not add up.
jacobian = torch.zeros(3, 3)

b.backward(torch.tensor([1.0, 0.0, 0.0]), retain_graph=True)
print(a.grad)
jacobian[0] = a.grad
a.grad.zero_()

b.backward(torch.tensor([0.0, 1.0, 0.0]), retain_graph=True)
print(a.grad)
jacobian[1] = a.grad
a.grad.zero_()

b.backward(torch.tensor([0.0, 0.0, 1.0]), retain_graph=True)
print(a.grad)
jacobian[2] = a.grad

print(jacobian)
