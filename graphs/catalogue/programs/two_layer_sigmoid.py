import torch

x = torch.tensor([[1.0]])
y = torch.tensor([[1.0], [0.0]])
w1 = torch.tensor([[1.0], [2.0]], requires_grad=True)
w2 = torch.tensor([[3.0, 4.0], [5.0, 6.0]], requires_grad=True)

# Forward pass; retain_grad() asks torch to keep .grad on intermediate tensors
z_1 = torch.mm(w1, x)
z_1.retain_grad()
y_1 = torch.sigmoid(z_1)
y_1.retain_grad()
z_2 = torch.mm(w2, y_1)
z_2.retain_grad()
y_2 = torch.sigmoid(z_2)
y_2.retain_grad()
loss = 1 / 2 * ((y_2 - y) ** 2).sum()
loss.retain_grad()
print(loss.item())
print(z_1)
print(y_1)
print(z_2)
print(y_2)

loss.backward()
print(w1.grad)
print(w2.grad)
print(loss.grad)
print(y_2.grad)
print(z_2.grad)
print(y_1.grad)
print(z_1.grad)

# The same gradients from the hand-derived chain rule
with torch.no_grad():
    z_2_by_hand = (y_2 - y) * torch.sigmoid(z_2) * (1 - torch.sigmoid(z_2))
    w2_by_hand = z_2_by_hand * torch.cat((y_1, y_1), dim=1).T
    y_1_by_hand = torch.mm(w2.T, z_2.grad)
print(w2_by_hand)
print(y_1_by_hand)
