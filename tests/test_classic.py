"""Classic view: torchviz's own figure of a program, and the distutils guard
that lets torchviz 0.0.3 import on Python 3.12+."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from graphs.classic import LooseVersion, classic_dot
from graphs.errors import ProgramError
from graphs.export import export

TWO_ROOTS = """\
import torch
a = torch.tensor(2.0, requires_grad=True)
b = a * 3
c = a + 1
b.backward()
c.backward()
"""


def test_classic_draws_torchviz_ops_and_names(small_source):
    source = classic_dot(small_source)
    for op in ("MmBackward0", "SumBackward0", "AccumulateGrad"):
        assert op in source
    assert "w\n (2, 2)" in source  # leaf named as the program named it
    assert "darkolivegreen1" in source  # torchviz's green output box
    assert b'class="node"' in export(source, "svg")


def test_show_attrs_adds_saved_attributes(small_source):
    assert "mat2_sym_sizes" not in classic_dot(small_source)
    assert "mat2_sym_sizes" in classic_dot(small_source, show_attrs=True)


def test_every_backward_root_is_drawn():
    source = classic_dot(TWO_ROOTS)
    assert "MulBackward0" in source and "AddBackward0" in source
    assert source.count("fillcolor=darkolivegreen1") == 2


def test_graphs_deeper_than_the_recursion_limit():
    chain = (
        "import torch\nx = torch.tensor(1.0, requires_grad=True)\ny = x\nfor i in range(600):\n"
        "    y = y * 1.001\n    y = y + 0.5\ny.backward()\n"
    )
    before = sys.getrecursionlimit()
    source = classic_dot(chain)
    assert source.count("label=MulBackward0") == 600 and source.count("label=AddBackward0") == 600
    assert sys.getrecursionlimit() == before


def test_a_failing_program_is_one_line_error():
    with pytest.raises(ProgramError, match=r"^line 2: ZeroDivisionError: division by zero$"):
        classic_dot("import torch\nx = 1 / 0\n")


def test_nothing_to_draw_is_a_program_error():
    with pytest.raises(ProgramError, match="no tensor that requires grad"):
        classic_dot("import torch\nx = torch.tensor(1.0)\ny = x * 2\n")


def test_guard_supplies_distutils_when_python_has_none():
    # A None entry in sys.modules makes `import distutils` fail, as on Python 3.12.
    script = textwrap.dedent("""
        import sys
        sys.modules["distutils"] = None
        sys.modules["distutils.version"] = None
        import graphs.classic as classic
        make_dot = classic.torchviz_make_dot()
        assert sys.modules["distutils.version"].LooseVersion is classic.LooseVersion
        import torch
        x = torch.tensor([1.0, 2.0], requires_grad=True)
        print(make_dot((x * x).sum(), params={"x": x}).source.count("SumBackward0"))
    """)
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"


def test_loose_version_orders_like_distutils():
    assert LooseVersion("2.13.0") > LooseVersion("1.9")
    assert LooseVersion("1.10") > LooseVersion("1.9")
    assert LooseVersion("1.9.0a0+git") < LooseVersion("1.9.1")
    assert LooseVersion("2.0") == LooseVersion("2.0")


TRAINING = """\
import torch
w = torch.ones(2, requires_grad=True)
opt = torch.optim.SGD([w], lr=0.1)
for i in range(3):
    opt.zero_grad()
    loss = (w * w).sum()
    loss.backward()
    opt.step()
"""


def test_a_training_loop_draws_and_attributes_changed_in_place_are_one_line():
    assert classic_dot(TRAINING).count("MulBackward0") == 3
    with pytest.raises(ProgramError, match="^torchviz could not read a saved attribute: one of the"):
        classic_dot(TRAINING, show_attrs=True)
    assert torch._C._len_torch_function_stack() == 0  # the modes left the stack in order
