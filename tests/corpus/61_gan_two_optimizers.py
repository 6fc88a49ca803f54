"""A few GAN steps: a generator and a discriminator, each with its own optimizer.

The discriminator step sees the fake batch through detach(), so no gradient reaches
the generator there; the generator step goes back through the discriminator into G.
"""
import torch
import torch.nn as nn

torch.manual_seed(61)
generator = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))
discriminator = nn.Sequential(nn.Linear(1, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))
opt_g = torch.optim.Adam(generator.parameters(), lr=0.01, betas=(0.5, 0.999))
opt_d = torch.optim.Adam(discriminator.parameters(), lr=0.01, betas=(0.5, 0.999))
bce = nn.BCEWithLogitsLoss()

batch = 32
real_label = torch.ones(batch, 1)
fake_label = torch.zeros(batch, 1)
for step in range(5):
    real = 3.0 + 0.5 * torch.randn(batch, 1)  # the "data": numbers around 3
    noise = torch.randn(batch, 2)
    fake = generator(noise)

    # 1) discriminator: real -> 1, fake -> 0 (fake detached: G is not touched)
    opt_d.zero_grad()
    d_loss = bce(discriminator(real), real_label) + bce(discriminator(fake.detach()), fake_label)
    d_loss.backward()
    opt_d.step()

    # 2) generator: make D say 1 on the fakes (D's .grad fills up too, only G steps)
    opt_g.zero_grad()
    g_loss = bce(discriminator(fake), real_label)
    g_loss.backward()
    opt_g.step()
    print(f"step {step} d_loss {d_loss.item():.4f} g_loss {g_loss.item():.4f}", end=" ")
    print(f"fake mean {fake.mean().item():.3f}")
