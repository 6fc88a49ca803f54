"""The networks the benchmark measures, each built deterministically on the CPU.

Sizes are what a student might reasonably want to draw, not tuned to the
targets: a 10-layer MLP, a ResNet-18-shaped CNN on one 64x64 image batch, a
6-layer transformer encoder, and an RNN cell unrolled until its graph has more
than 5,000 grad_fn nodes (the case that makes Graphviz layout slow).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class Workload:
    """A model and the inputs one forward pass takes."""

    name: str
    model: nn.Module
    inputs: tuple[torch.Tensor, ...]
    description: str


def mlp() -> Workload:
    layers: list[nn.Module] = []
    width = 256
    for index in range(10):
        layers.append(nn.Linear(128 if index == 0 else width, 10 if index == 9 else width))
        if index < 9:
            layers.append(nn.ReLU())
    return Workload(
        "mlp",
        nn.Sequential(*layers),
        (torch.randn(64, 128),),
        "10 Linear layers (width 256) with ReLU, batch 64",
    )


class BasicBlock(nn.Module):
    """ResNet's two-convolution block with an identity (or 1x1 projection) shortcut."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + self.shortcut(x))


class ResNet18(nn.Module):
    """ResNet-18's layout (stem, four stages of two blocks, pooled classifier)."""

    def __init__(self, classes: int = 10):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1)
        )
        blocks: list[nn.Module] = []
        cin = 64
        for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
            blocks += [BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)]
            cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(512, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.blocks(self.stem(x))
        return self.head(torch.flatten(nn.functional.adaptive_avg_pool2d(features, 1), 1))


def cnn() -> Workload:
    return Workload(
        "cnn",
        ResNet18(),
        (torch.randn(2, 3, 64, 64),),
        "ResNet-18 layout (BasicBlocks 64-512), batch 2 of 3x64x64",
    )


def transformer() -> Workload:
    layer = nn.TransformerEncoderLayer(
        d_model=128, nhead=4, dim_feedforward=256, dropout=0.0, batch_first=True
    )
    model = nn.TransformerEncoder(layer, num_layers=6, enable_nested_tensor=False)
    return Workload(
        "transformer",
        model,
        (torch.randn(4, 32, 128),),
        "nn.TransformerEncoder, 6 layers, d_model 128, 4 heads, batch 4 x 32 tokens",
    )


class UnrolledRNN(nn.Module):
    """One RNNCell applied step after step: every step reuses the same weights,
    which is what makes the graph hard for Graphviz to lay out."""

    def __init__(self, steps: int, features: int = 16, hidden: int = 32):
        super().__init__()
        self.steps = steps
        self.hidden = hidden
        self.cell = nn.RNNCell(features, hidden)

    def forward(self, sequence: torch.Tensor) -> torch.Tensor:
        state = torch.zeros(sequence.shape[1], self.hidden)
        for step in range(self.steps):
            state = self.cell(sequence[step], state)
        return state.sum()


def rnn() -> Workload:
    steps = 900  # six grad_fn nodes a step (two addmm, two t, add, tanh): 5,405 in all
    return Workload(
        "rnn",
        UnrolledRNN(steps),
        (torch.randn(steps, 4, 16),),
        f"nn.RNNCell(16, 32) unrolled {steps} steps, batch 4",
    )


BUILDERS: dict[str, Callable[[], Workload]] = {
    "mlp": mlp,
    "cnn": cnn,
    "transformer": transformer,
    "rnn": rnn,
}


def build(name: str, seed: int = 0) -> Workload:
    """The named workload, with weights and inputs fixed by `seed`."""
    torch.manual_seed(seed)
    workload = BUILDERS[name]()
    workload.model.train()
    return workload
