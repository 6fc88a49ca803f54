"""Per-sample gradients with torch.func: functional_call, grad and vmap."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, grad, vmap

torch.manual_seed(53)
model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
data = torch.randn(6, 4)
targets = torch.randint(0, 3, (6,))

params = {name: p.detach() for name, p in model.named_parameters()}
buffers = {name: b.detach() for name, b in model.named_buffers()}


def sample_loss(params, buffers, sample, target):
    prediction = functional_call(model, (params, buffers), (sample.unsqueeze(0),))
    return F.cross_entropy(prediction, target.unsqueeze(0))


per_sample = vmap(grad(sample_loss), in_dims=(None, None, 0, 0))(params, buffers, data, targets)
loss = F.cross_entropy(model(data), targets)
loss.backward()
for name, p in model.named_parameters():
    assert torch.allclose(per_sample[name].mean(dim=0), p.grad, atol=1e-6), name
print({name: tuple(g.shape) for name, g in per_sample.items()})
