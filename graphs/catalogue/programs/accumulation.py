import torch

x = torch.tensor([1.0], requires_grad=True)
w = torch.tensor([2.0], requires_grad=True)
b = torch.tensor([3.0], requires_grad=True)

# First backward: the gradients of (w x + b)^2
y1 = (w * x + b).pow(2)
y1.backward()
print(w.grad)
print(x.grad)
print(b.grad)

# Second backward on a new graph: .grad adds the new gradients to the old
y2 = w * x + b
y2.backward()
print(w.grad)
print(x.grad)
print(b.grad)

# Zeroing .grad first leaves only the newest gradients
y3 = w * x + b
w.grad.zero_()
x.grad.zero_()
b.grad.zero_()
y3.backward()
print(w.grad)
print(x.grad)
print(b.grad)
