"""backward() straight from a leaf whose hook doubles the gradient it receives."""
import torch

v = torch.tensor([0.0, 0.0, 0.0], requires_grad=True)
h = v.register_hook(lambda grad: grad * 2)  # double the gradient
v.backward(torch.tensor([1.0, 2.0, 3.0]))
print(v.grad)  # the hook's result, not the seed
h.remove()  # removes the hook
