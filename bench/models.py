"""The networks the benchmark measures, each built deterministically on the CPU.

Sizes are what a student might reasonably want to draw, not tuned to the
targets: a 10-layer MLP, a ResNet-18-shaped CNN on one 64x64 image batch, a
6-layer transformer encoder, and an RNN cell unrolled until its graph has more
than 5,000 grad_fn nodes (the case that makes Graphviz layout slow); then the
catalogue's "Real models" at their own sizes (ResNet-18 and ResNet-50 at
224x224, a GPT-2-small-shaped transformer, an RNN over 500 steps, an LSTM over
200 steps).

The ResNet-18, the RNN and the real models are not defined here: the catalogue
program is the one definition of each. `program_setup` runs a program's text
up to the model's first call (imports, classes, constants, the model and its
inputs) for the real models; `definitions` runs only its classes and
constants, for the smaller `cnn` and `rnn` built from the same classes.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from graphs.catalogue import get


@dataclass
class Workload:
    """A model and the inputs one forward pass takes."""

    name: str
    model: nn.Module
    inputs: tuple[torch.Tensor, ...]
    description: str


def _calls_model(statement: ast.stmt) -> ast.Call | None:
    """The first `model(...)` call in a statement, if it makes one."""
    for node in ast.walk(statement):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "model":
            return node
    return None


def _is_definition(statement: ast.stmt) -> bool:
    """Imports, classes, functions and UPPER_CASE constants: what a program defines, not what it does."""
    if isinstance(statement, (ast.Import, ast.ImportFrom, ast.ClassDef, ast.FunctionDef)):
        return True
    return isinstance(statement, ast.Assign) and all(
        isinstance(target, ast.Name) and target.id.isupper() for target in statement.targets
    )


def _run(slug: str, statements: list[ast.stmt]) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": f"catalogue_{slug}"}
    code = compile(ast.Module(statements, type_ignores=[]), f"<catalogue {slug}>", "exec")
    exec(code, namespace)  # noqa: S102 (our own catalogue's text)
    return namespace


def definitions(slug: str) -> dict[str, Any]:
    """The classes, functions and constants catalogue program `slug` defines,
    without running the rest (no weights drawn, the random state untouched)."""
    tree = ast.parse(get(slug).source)
    return _run(slug, [statement for statement in tree.body if _is_definition(statement)])


def program_setup(slug: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The namespace of catalogue program `slug` run up to the statement that
    first calls `model(...)`, and the names that call passes as inputs.

    The rest of the program (the forward pass, the loss, `loss.backward()`,
    the prints) is left out: the benchmark runs the forward and backward
    itself, as many times as it measures them.
    """
    tree = ast.parse(get(slug).source)
    for index, statement in enumerate(tree.body):
        call = _calls_model(statement)
        if call is not None:
            return _run(slug, tree.body[:index]), tuple(ast.unparse(arg) for arg in call.args)
    raise ValueError(f"catalogue program {slug!r} never calls model(...)")


def real_model(slug: str, description: str) -> Callable[[], Workload]:
    """A builder for the catalogue program's model and inputs, as the program
    makes them (it seeds torch itself, so these do not depend on `build`'s seed)."""

    def builder() -> Workload:
        namespace, inputs = program_setup(slug)
        return Workload(slug, namespace["model"], tuple(namespace[name] for name in inputs), description)

    return builder


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


def cnn() -> Workload:
    resnet18 = definitions("resnet18")["ResNet18"]
    return Workload(
        "cnn",
        resnet18(classes=10),
        (torch.randn(2, 3, 64, 64),),
        "the catalogue's ResNet-18 with 10 classes, batch 2 of 3x64x64",
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


def rnn() -> Workload:
    unrolled = definitions("rnn_unrolled")["UnrolledRNN"]
    steps = 900  # six grad_fn nodes a step (two addmm, two t, add, tanh): 5,400, and the readout's
    return Workload(
        "rnn",
        unrolled(features=16, hidden=32),
        (torch.randn(steps, 4, 16),),
        f"the catalogue's nn.RNNCell(16, 32) unrolled {steps} steps, batch 4",
    )


BUILDERS: dict[str, Callable[[], Workload]] = {
    "mlp": mlp,
    "cnn": cnn,
    "transformer": transformer,
    "rnn": rnn,
    "resnet18": real_model("resnet18", "ResNet-18, batch 1 of 3x224x224"),
    "resnet50": real_model("resnet50", "ResNet-50 shape (bottlenecks 3-4-6-3), batch 1 of 3x224x224"),
    "gpt2_small": real_model(
        "gpt2_small", "GPT-2-small shape: 12 layers, d_model 768, 12 heads, 64 tokens, 2,048-token vocabulary"
    ),
    "rnn_unrolled": real_model("rnn_unrolled", "nn.RNNCell(16, 32) over 500 steps, batch 1"),
    "lstm": real_model("lstm", "an LSTM cell (16 -> 32) written gate by gate, over 200 steps, batch 1"),
}


def build(name: str, seed: int = 0) -> Workload:
    """The named workload, with weights and inputs fixed by `seed` (the real
    models' programs seed themselves, as the catalogue runs them)."""
    torch.manual_seed(seed)
    workload = BUILDERS[name]()
    workload.model.train()
    return workload
