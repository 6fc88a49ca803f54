import torch

xs = torch.tensor([[1], [2], [3]], dtype=torch.float, requires_grad=True)
ws = torch.tensor([[1, 3, 5], [0.2, 0.4, 0.6]], dtype=torch.float, requires_grad=True)

ys = torch.mm(ws, xs)
print(ys)

# The sigmoid written out by hand, as the notebook does
a_s = 1 / (1 + torch.exp(-ys))
print(a_s)

l = torch.sum(a_s * a_s)
print(l)

l.backward(retain_graph=True)
print(xs.grad)
print(ws.grad)

# The chain of Jacobians worked out by hand: W^T (phi (1 - phi) phi).
# l has no factor 1/2, so autograd's xs.grad is twice this product.
with torch.no_grad():
    phi = torch.sigmoid(ys)
    by_hand = torch.mm(ws.t(), phi * (1 - phi) * phi)
print(by_hand)
