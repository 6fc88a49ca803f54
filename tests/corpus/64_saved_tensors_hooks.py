"""saved_tensors_hooks: every tensor autograd saves for backward is packed in half precision and counted."""
import torch

torch.manual_seed(64)
w = torch.randn(5, 3, requires_grad=True)
b = torch.zeros(3, requires_grad=True)
x = torch.randn(8, 5)
counts = {"packed": 0, "unpacked": 0}


def pack_half(t):
    counts["packed"] += 1
    return t.to(torch.float16)  # what autograd keeps until backward


def unpack_float(t):
    counts["unpacked"] += 1
    return t.to(torch.float32)


with torch.autograd.graph.saved_tensors_hooks(pack_half, unpack_float):
    h = torch.tanh(x @ w + b)
    loss = (h**2).mean()
loss.backward()
print(counts)

# the same forward without the hooks: the gradients only differ by rounding
h_plain = torch.tanh(x @ w + b)
grad_w, grad_b = torch.autograd.grad((h_plain**2).mean(), (w, b))
print(f"largest difference in w.grad: {(w.grad - grad_w).abs().max().item():.2e}")
print(f"largest difference in b.grad: {(b.grad - grad_b).abs().max().item():.2e}")
