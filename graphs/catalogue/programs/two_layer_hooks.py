import torch

# The notebook registers a hook on every intermediate tensor to keep its
# gradient. The explorer hooks every node itself, so the program stays plain:
# after backward, each box in the figure carries d loss / d (its output).
x = torch.tensor([[1.0]])
y = torch.tensor([[1.0], [0.0]])
w1 = torch.tensor([[1.0], [2.0]], requires_grad=True)
w2 = torch.tensor([[3.0, 4.0], [5.0, 6.0]], requires_grad=True)

z_1 = torch.mm(w1, x)
y_1 = torch.sigmoid(z_1)
z_2 = torch.mm(w2, y_1)
y_2 = torch.sigmoid(z_2)
loss = 1 / 2 * ((y_2 - y) ** 2).sum()

loss.backward()
print(w1.grad)
print(w2.grad)
