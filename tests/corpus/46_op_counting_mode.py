"""A TorchFunctionMode of the program's own counts the ops of a training loop."""
import torch
from torch.overrides import TorchFunctionMode


class CountOps(TorchFunctionMode):
    def __init__(self):
        super().__init__()
        self.counts = {}

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", str(func))
        self.counts[name] = self.counts.get(name, 0) + 1
        return func(*args, **(kwargs or {}))


torch.manual_seed(46)
w = torch.randn(3, requires_grad=True)
inputs = torch.randn(16, 3)
targets = inputs @ torch.tensor([1.0, -2.0, 0.5])
with CountOps() as counter:
    for step in range(300):
        if w.grad is not None:
            w.grad.zero_()
        loss = ((inputs @ w - targets) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= 0.05 * w.grad
print("backward calls seen by the mode:", counter.counts.get("backward"))
print("w =", w.detach())
