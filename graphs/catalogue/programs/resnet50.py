import torch
import torch.nn as nn
import torch.nn.functional as F

# A ResNet-50-shaped network with random weights: bottleneck blocks
# (1x1 down, 3x3, 1x1 up to four times the width) in stages of 3, 4, 6 and 3,
# on one 224x224 image. 53 convolutions, 16 residual additions. Every layer
# has half the channels of ResNet-50 (its stages are 64 to 512 wide), so the
# weights and their gradients fit the explorer's memory; the graph is the same.
WIDTH = 32


class Bottleneck(nn.Module):
    def __init__(self, cin, width, stride):
        super().__init__()
        cout = 4 * width
        self.reduce = nn.Conv2d(cin, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv = nn.Conv2d(width, width, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.expand = nn.Conv2d(width, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.reduce(x)))
        out = F.relu(self.bn2(self.conv(out)))
        out = self.bn3(self.expand(out))
        return F.relu(out + self.shortcut(x))


class ResNet50(nn.Module):
    def __init__(self, classes=1000):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, WIDTH, 7, 2, 3, bias=False),
            nn.BatchNorm2d(WIDTH),
            nn.ReLU(),
            nn.MaxPool2d(3, 2, 1),
        )
        stages = []
        cin = WIDTH
        for scale, blocks, stride in [(1, 3, 1), (2, 4, 2), (4, 6, 2), (8, 3, 2)]:
            width = scale * WIDTH
            for index in range(blocks):
                stages.append(Bottleneck(cin, width, stride if index == 0 else 1))
                cin = 4 * width
        self.blocks = nn.Sequential(*stages)
        self.fc = nn.Linear(cin, classes)

    def forward(self, image):
        features = self.blocks(self.stem(image))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(features, 1), 1))


torch.manual_seed(0)
model = ResNet50()
image = torch.randn(1, 3, 224, 224)
label = torch.tensor([207])

logits = model(image)
loss = F.cross_entropy(logits, label)
loss.backward()
print(loss)
print(model.fc.weight.grad.norm())
