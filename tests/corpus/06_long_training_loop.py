"""A 2,000-step training loop: the app keeps the first and last passes and every loss."""
import torch
import torch.nn as nn

torch.manual_seed(4)


class Regressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1 = nn.Linear(1, 16)
        self.layer2 = nn.Linear(16, 1)

    def forward(self, x):
        return self.layer2(torch.sin(self.layer1(x)))


model = Regressor()
opt = torch.optim.SGD(model.parameters(), lr=0.05)
x = torch.linspace(-3, 3, 64).unsqueeze(1)
y = torch.cos(x)
for step in range(2000):
    opt.zero_grad()
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
    opt.step()
print(f"final loss {loss.item():.5f}")
