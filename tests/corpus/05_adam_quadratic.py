"""Adam walking down a bowl: minimise (a - 3)^2 + (b + 1)^2."""
import torch

point = torch.tensor([0.0, 0.0], requires_grad=True)
opt = torch.optim.Adam([point], lr=0.1)
for i in range(150):
    opt.zero_grad()
    a, b = point[0], point[1]
    bowl = (a - 3) ** 2 + (b + 1) ** 2
    bowl.backward()
    opt.step()
print("reached", [round(v, 2) for v in point.tolist()])
