"""Programs run as the real Python they are; a failure is one line from the
user's own frame, with Python's and torch's own words."""

from __future__ import annotations

import pytest

from graphs.api import run_in_process
from graphs.errors import ProgramError
from graphs.worker.program import MAX_PRINT_CHARS, OUTPUT_CUT, run_program


def failure(source: str) -> ProgramError:
    with pytest.raises(ProgramError) as caught:
        run_in_process(source)
    assert "Traceback" not in str(caught.value) and "\n" not in str(caught.value)
    return caught.value


def test_real_python_runs_classes_comprehensions_and_f_strings():
    source = (
        "import math\nimport torch\nimport torch.nn as nn\n"
        "class Scale(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.w = nn.Parameter(torch.tensor([1.0, 2.0]))\n"
        "    def forward(self, x):\n"
        "        return (self.w * x).sum()\n"
        "model = Scale()\n"
        "loss = sum(model(torch.tensor([v, math.pi])) for v in [1.0, 2.0])\n"
        "loss.backward()\n"
        "print(f'grad {model.w.grad.tolist()}')\n"
    )
    record = run_in_process(source)
    assert record.prints == ["grad [3.0, 6.2831854820251465]"]
    assert record.passes[-1].grad_after[record.named("model.w").id] == pytest.approx(
        [3.0, 6.2831854820251465]
    )


def test_torch_error_keeps_its_hint_and_the_line():
    source = (
        "import torch\nx = torch.ones(2, requires_grad=True)\ny = (x * x).sum()\ny.backward()\ny.backward()\n"
    )
    error = failure(source)
    assert error.line == 5
    assert str(error).startswith("line 5: RuntimeError: Trying to backward through the graph a second time")
    assert str(error).endswith(
        "Specify retain_graph=True if you need to backward through the graph a "
        "second time or if you need to access saved tensors after calling backward."
    )


def test_error_inside_a_function_points_at_the_function_line():
    error = failure("import torch\ndef square(a):\n    return a.mm(a)\n\nsquare(torch.ones(3))\n")
    assert str(error) == "line 3: RuntimeError: self must be a matrix"


def test_error_in_a_lambda_hook_during_backward_points_at_the_lambda():
    source = (
        "import torch\nx = torch.ones(2, requires_grad=True)\n"
        "x.register_hook(lambda g: g / 0 if g is None else 1 / 0)\n(x * 2).sum().backward()\n"
    )
    assert str(failure(source)) == "line 3: ZeroDivisionError: division by zero"


@pytest.mark.parametrize(
    "source, expected",
    [
        (
            "value = 3\nprint(valeu)\n",
            "line 2: NameError: name 'valeu' is not defined. Did you mean: 'value'?",
        ),
        (
            "import torch\ntorch.ones(2).sizee()\n",
            "line 2: AttributeError: 'Tensor' object has no attribute 'sizee'. Did you mean: 'size'?",
        ),
        (
            "x = torch.ones(2)\n",
            "line 1: NameError: name 'torch' is not defined (add 'import torch' at the top)",
        ),
        ("import torch\nx = torch.ones(2) +\n", "line 2, col 20: SyntaxError: invalid syntax"),
        (
            "if True:\nprint(1)\n",
            "line 2, col 1: IndentationError: expected an indented block after 'if' statement on line 1",
        ),
        ("assert 1 == 2, 'one is not two'\n", "line 1: AssertionError: one is not two"),
        ("import sys\nsys.exit(3)\n", "line 2: SystemExit: the program exited with 3"),
    ],
)
def test_python_errors_are_one_line_in_pythons_words(source, expected):
    assert str(failure(source)) == expected


def test_error_keeps_what_was_printed_before():
    error = failure("print('step 1')\nprint('step 2')\nraise ValueError('bad step')\n")
    assert str(error) == "line 3: ValueError: bad step"
    assert error.prints == ["step 1", "step 2"]


def test_exit_ends_the_program_like_a_script():
    record = run_in_process(
        "import torch\nw = torch.ones(1, requires_grad=True)\n(w * 2).sum().backward()\n"
        "print('done')\nexit()\nprint('never')\n"
    )
    assert record.prints == ["done"] and len(record.passes) == 1


def test_main_guard_and_print_arguments_behave_as_in_python():
    outcome = run_program(
        "if __name__ == '__main__':\n    print('a', 'b', sep='-', end='!')\n    print(1, 2)\n"
    )
    assert outcome.prints == ["a-b!", "1 2"]


def test_printed_output_is_bounded_with_a_marker():
    outcome = run_program("for i in range(100000):\n    print('x' * 9)\n")
    assert outcome.prints[-1] == OUTPUT_CUT
    assert sum(len(entry) for entry in outcome.prints[:-1]) == MAX_PRINT_CHARS
