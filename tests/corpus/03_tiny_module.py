"""A two-layer network as an nn.Module, one forward and one backward."""
import torch
import torch.nn as nn

torch.manual_seed(2)


class TinyNet(nn.Module):
    def __init__(self, width: int = 5):
        super().__init__()
        self.hidden = nn.Linear(3, width)
        self.out = nn.Linear(width, 1)

    def forward(self, x):
        h = torch.relu(self.hidden(x))
        return self.out(h)


net = TinyNet()
inputs = torch.randn(4, 3)
target = torch.tensor([[1.0], [0.0], [1.0], [0.0]])
loss = nn.functional.binary_cross_entropy_with_logits(net(inputs), target)
loss.backward()
print(f"loss {loss.item():.4f}")
for name, param in net.named_parameters():
    print(name, tuple(param.grad.shape))
