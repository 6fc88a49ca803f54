import torch

a = torch.tensor([1.0, 2.0], requires_grad=True)
b = torch.tensor([1.0, 2.0])
distance = torch.sqrt(((a - b) ** 2).sum())
loss = distance * 3
loss.backward()
print(distance)
print(a.grad)
