"""The folding panel's words (components/folding_panel.py): its picker of ×N
boxes is titled by what they repeat, module calls, loop iterations or both, in
English and in 中文 (AppTest, real torch and `dot`)."""

from __future__ import annotations

import pytest

from tests.app.test_app import pane, run_program, start
from tests.app.test_app_folding import ENCODER
from tests.app.test_app_loop_folding import RNN

# Six identical blocks (one ×N box of module calls), then a 200-step loop of plain ops.
BOTH = """\
import torch
from torch import nn
torch.manual_seed(0)
model = nn.Sequential(*[nn.Sequential(nn.Linear(4, 4), nn.Tanh()) for _ in range(6)])
h = model(torch.randn(2, 4))
w = torch.randn(4, 4, requires_grad=True)
for t in range(200):
    h = torch.tanh(h @ w)
h.sum().backward()
"""


def expander_labels(at) -> list[str]:
    return [expander.label for expander in at.expander]


@pytest.mark.parametrize(
    ("program", "lang", "title"),
    [
        (RNN, "en", "Repeated loop iterations (1)"),
        (RNN, "zh", "重复的循环迭代（1 组）"),
        (ENCODER, "en", "Repeated modules (1)"),
        (BOTH, "en", "Repeated modules and loop iterations (2)"),
        (BOTH, "zh", "重复的模块和循环迭代（2 组）"),
    ],
    ids=["loop", "loop-zh", "module", "both", "both-zh"],
)
def test_the_repetition_picker_is_titled_by_what_repeats(program, lang, title):
    at = pane(run_program(start(lang=lang), program), "inspect")
    assert not at.exception and not at.error
    assert title in expander_labels(at)
