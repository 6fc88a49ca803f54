"""`python -m graphs diagnose` as a user runs it: a real subprocess, programs
in files run through the locked worker, each with one known defect."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# One defect each, (kind, line) where it is: forward and backward, in and out of a training loop.
DEFECTS = {
    "forward_log": (
        """
        import torch
        w = torch.tensor([0.5, 1.0, 2.0], requires_grad=True)
        shifted = w - 1.0
        out = torch.log(shifted)
        out.sum().backward()
        """,
        ("nan", 4),
    ),
    "backward_sqrt_in_loop": (
        """
        import torch
        torch.manual_seed(0)
        w = torch.randn(3, requires_grad=True)
        target = w.detach().clone()
        for step in range(4):
            gap = torch.sqrt(((w - target) ** 2).sum())
            gap.backward()
            w.grad = None
        """,
        ("inf", 6),
    ),
    "division_by_zero": (
        """
        import torch
        x = torch.tensor([1.0, 2.0], requires_grad=True)
        count = torch.tensor(0.0)
        mean = x.sum() / count
        mean.backward()
        """,
        ("inf", 4),
    ),
    "vanishing": (
        """
        import torch
        torch.manual_seed(0)
        ws = [(torch.randn(8, 8) * 0.3).requires_grad_() for _ in range(15)]
        h = torch.randn(4, 8)
        for w in ws:
            h = torch.sigmoid(h @ w)
        h.sum().backward()
        """,
        ("vanishing", 6),
    ),
    "exploding": (
        """
        import torch
        torch.manual_seed(0)
        ws = [(torch.randn(16, 16) * 2.0).requires_grad_() for _ in range(6)]
        h = torch.randn(4, 16)
        for w in ws:
            h = h @ w
        h.pow(2).mean().backward()
        """,
        ("exploding", 6),
    ),
    "dead_relu": (
        """
        import torch
        torch.manual_seed(0)
        layer = torch.nn.Linear(3, 6)
        torch.nn.init.constant_(layer.bias, -50.0)
        x = torch.randn(32, 3)
        h = torch.relu(layer(x))
        (h.sum() + layer.weight.sum()).backward()
        """,
        ("dead_relu", 6),
    ),
    # an operand of more than 16 entries is kept as listed numbers that know their summary
    "log_of_a_long_vector": (
        """
        import torch
        x = torch.linspace(-1.0, 1.0, 40, requires_grad=True)
        y = torch.log(x)
        y.mean().backward()
        """,
        ("nan", 3),
    ),
    # a learning rate far too large: the loss grows a thousandfold at the line that computes it
    "diverging_training_loop": (
        """
        import torch
        torch.manual_seed(0)
        model = torch.nn.Linear(3, 1)
        opt = torch.optim.SGD(model.parameters(), lr=10.0)
        x, y = torch.randn(64, 3) * 10, torch.randn(64, 1)
        for epoch in range(300):
            opt.zero_grad()
            loss = ((model(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
        """,
        ("exploding", 8),
    ),
    # weights ten times too large in a stack of modules: the signal flowing back grows
    # layer by layer, while each weight's own gradient stays level (the input shrinks
    # back as fast): found at the line that calls the network
    "exploding_deep_stack": (
        """
        import torch
        from torch import nn
        torch.manual_seed(0)
        net = nn.Sequential(*[nn.Linear(32, 32) for _ in range(12)])
        for layer in net:
            nn.init.normal_(layer.weight, std=1.0)
        x = torch.randn(8, 32)
        loss = net(x).pow(2).mean()
        loss.backward()
        """,
        ("exploding", 8),
    ),
    # an Inf the program wrote on purpose is no finding; the NaN that 0 * inf makes is
    "nan_from_a_written_inf": (
        """
        import torch
        p = torch.tensor([0.0, 1.0], requires_grad=True)
        big = torch.tensor([float("inf"), 2.0])
        q = p * big
        q.sum().backward()
        """,
        ("nan", 4),
    ),
}

HEALTHY = """
import torch
from torch import nn
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 1))
opt = torch.optim.SGD(net.parameters(), lr=0.05)
x, y = torch.randn(64, 4), torch.randn(64, 1)
for step in range(30):
    opt.zero_grad()
    loss = nn.MSELoss()(net(x), y)  # a module made anew in each iteration
    loss.backward()
    opt.step()
print(loss.item())
"""

# A small CNN trained a few steps: the bias of the conv before the batch norm gets no gradient
# (the norm removes it), and the loss lives inside the training loop: neither is a finding.
HEALTHY_CNN = """
import torch
from torch import nn
torch.manual_seed(0)
net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                    nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                    nn.Linear(16, 10))
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
x, y = torch.randn(16, 3, 16, 16), torch.randint(0, 10, (16,))
for epoch in range(10):
    opt.zero_grad()
    loss = nn.functional.cross_entropy(net(x), y)
    loss.backward()
    opt.step()
"""


def diagnose(tmp_path: Path, source: str, *flags: str) -> subprocess.CompletedProcess:
    path = tmp_path / "program.py"
    path.write_text(textwrap.dedent(source).lstrip("\n"))
    return subprocess.run(
        [sys.executable, "-m", "graphs", "diagnose", str(path), *flags],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


@pytest.mark.parametrize("name", list(DEFECTS))
def test_each_defect_is_found_with_its_kind_at_its_line(tmp_path, name):
    source, (kind, line) = DEFECTS[name]
    done = diagnose(tmp_path, source, "--json")
    assert done.returncode == 1, done.stderr
    findings = json.loads(done.stdout)
    assert (findings[0]["kind"], findings[0]["line"]) == (kind, line)
    assert {"kind", "line", "op", "node", "pass"} <= findings[0].keys()


def test_a_healthy_network_has_no_finding_and_exits_0(tmp_path):
    done = diagnose(tmp_path, HEALTHY, "--json")
    assert (done.returncode, json.loads(done.stdout)) == (0, []), done.stderr
    cnn = diagnose(tmp_path, HEALTHY_CNN, "--json")
    assert (cnn.returncode, json.loads(cnn.stdout)) == (0, []), cnn.stderr
    text = diagnose(tmp_path, HEALTHY)
    assert text.returncode == 0 and text.stdout.startswith("no finding")


def test_text_mode_prints_one_line_per_finding(tmp_path):
    done = diagnose(tmp_path, DEFECTS["forward_log"][0])
    assert done.returncode == 1
    (line,) = done.stdout.strip().splitlines()
    assert (
        line == "line 4: NaN first appears in the forward of pass 0: log made it from finite inputs (node n1)"
    )


def test_a_failing_program_exits_2_with_its_findings_and_one_error_line(tmp_path):
    source = """
        import torch
        x = torch.tensor([1.0, -0.5], requires_grad=True)
        loss = torch.log(x).sum()
        assert torch.isfinite(loss), "the loss is not finite"
        loss.backward()
        """
    done = diagnose(tmp_path, source, "--json")
    assert done.returncode == 2
    assert [(f["kind"], f["line"], f["op"], f["pass"]) for f in json.loads(done.stdout)] == [
        ("nan", 3, "log", None)
    ]
    assert done.stderr.strip() == "error: line 4: AssertionError: the loss is not finite"
    assert diagnose(tmp_path, "import torch\nraise ValueError('no')\n").returncode == 2
