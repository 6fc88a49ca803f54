"""A small convolutional network on random 8x8 images."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(5)


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(4 * 4 * 4, 3)

    def forward(self, images):
        features = self.pool(F.relu(self.conv(images)))
        return self.fc(features.flatten(1))


net = ConvNet()
images = torch.randn(2, 1, 8, 8)
labels = torch.tensor([0, 2])
loss = F.cross_entropy(net(images), labels)
loss.backward()
print(f"cross entropy {loss.item():.4f}, conv grad norm {net.conv.weight.grad.norm():.4f}")
