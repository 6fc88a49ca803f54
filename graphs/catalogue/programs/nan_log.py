import torch

x = torch.tensor([2.0, 0.5, -0.5, 1.0], requires_grad=True)
p = x / x.sum()
log_p = torch.log(p)
loss = -log_p.mean()
loss.backward()
print(loss)
print(x.grad)
