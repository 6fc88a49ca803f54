"""The same name bound to two models: `model = Net(4)`, trained, kept as `first`, then `model = Net(8)`."""
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc1 = nn.Linear(3, width)
        self.fc2 = nn.Linear(width, 1)

    def forward(self, x):
        return self.fc2(torch.tanh(self.fc1(x)))


torch.manual_seed(67)
x = torch.randn(32, 3)
y = (x[:, :1] * x[:, 1:2] - x[:, 2:]).tanh()


def train(model, steps=20):
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for step in range(steps):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
    return loss.item()


model = Net(4)
print(f"width 4: loss {train(model):.4f}")
first = model  # keep the first try around
model = Net(8)  # a wider try under the same name
print(f"width 8: loss {train(model):.4f}")
print("first is still the width-4 model:", first.fc1.out_features)
