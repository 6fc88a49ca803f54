"""A learning-rate schedule (StepLR) over a training loop."""
import torch
from torch import nn

torch.manual_seed(19)
model = nn.Linear(2, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.2)
schedule = torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
x = torch.randn(10, 2)
y = x.sum(dim=1, keepdim=True)
for epoch in range(30):
    opt.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    opt.step()
    schedule.step()
print(f"lr now {schedule.get_last_lr()[0]:.3f}, loss {loss.item():.5f}")
