"""torch.distributions' reparameterised samples, and torch.nn.utils.prune, in one small model."""
import torch
import torch.nn as nn
from torch.distributions import Normal, kl_divergence
from torch.nn.utils import prune

torch.manual_seed(57)


def pruned_encoder():
    encoder = nn.Linear(4, 4)
    prune.l1_unstructured(encoder, name="weight", amount=0.25)  # weight = weight_orig * weight_mask
    return encoder


encoder = pruned_encoder()
x = torch.randn(8, 4)
stats = encoder(x)
mu, log_sigma = stats[:, :2], stats[:, 2:]
posterior = Normal(mu, log_sigma.exp())
z = posterior.rsample()  # mu + sigma * noise: differentiable in mu and sigma
prior = Normal(torch.zeros(2), torch.ones(2))
loss = kl_divergence(posterior, prior).sum() + z.pow(2).mean()
loss.backward()
print("pruned entries:", int((encoder.weight == 0).sum()), "loss:", round(loss.item(), 4))
