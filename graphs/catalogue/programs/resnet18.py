import torch
import torch.nn as nn
import torch.nn.functional as F

# ResNet-18 with random weights: a 7x7 stem, four stages of two basic blocks
# (64, 128, 256, 512 channels), global average pooling and a 1000-way
# classifier, on one 224x224 image. Each block adds its input back to its
# output: every `out + shortcut` is an AddBackward0 box with two ways in.


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        # A 1x1 convolution matches the shapes when the block changes them.
        self.shortcut = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet18(nn.Module):
    def __init__(self, classes=1000):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 64, 7, 2, 3, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(),
            nn.MaxPool2d(3, 2, 1),
        )
        blocks = []
        cin = 64
        for cout, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
            blocks += [BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)]
            cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(512, classes)

    def forward(self, image):
        features = self.blocks(self.stem(image))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(features, 1), 1))


torch.manual_seed(0)
model = ResNet18()
image = torch.randn(1, 3, 224, 224)
label = torch.tensor([207])

logits = model(image)
loss = F.cross_entropy(logits, label)
loss.backward()
print(loss)
print(model.fc.weight.grad.norm())
