"""The running budget: steps, tensor elements and work a program may spend.

The static check refuses what the text shows; this counts what only the run
shows, and is asked before each operation (`admit`) and after it (`result`).
"""
from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import Any

import torch

from graphs.snippet.errors import at
from graphs.snippet.limits import Limits, too_big


def _elements_in(value: object) -> int:
    """Tensor elements in an argument: a tensor, or a list or tuple of them."""
    items = value if isinstance(value, (list, tuple)) else (value,)
    return sum(item.numel() for item in items if isinstance(item, torch.Tensor))


class Budget:
    """Counters checked against `Limits`; every refusal is placed at a node."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.steps = 0
        self.elements = 0
        self.work = 0
        self.chars = 0

    def step(self, node: ast.AST) -> None:
        self.steps += 1
        if self.steps > self.limits.max_steps:
            raise at(node, f"the program ran more than {self.limits.max_steps} steps, the limit")

    def check_size(self, node: ast.AST, predicted: int | None) -> None:
        if predicted is not None and predicted > self.limits.max_tensor_elements:
            raise too_big(node, predicted, self.limits)
        if predicted is not None and self.elements + predicted > self.limits.max_total_elements:
            raise at(node, f"the program would create more than {self.limits.max_total_elements} "
                           "tensor elements in total, the limit")

    def admit(self, node: ast.AST, predicted: int | None, inputs: Sequence[Any],
              walks_graph: bool = False) -> None:
        """Decide, before an operation runs, whether it fits the limits: the size
        of its result, and the work of reading its inputs and writing its result.
        A backward pass may walk everything created so far, so it is charged that."""
        self.check_size(node, predicted)
        self.work += (predicted or 0) + sum(map(_elements_in, inputs))
        if walks_graph:
            self.work += self.elements
        if self.work > self.limits.max_work:
            raise at(node, f"the program would process more than {self.limits.max_work} "
                           "tensor elements in total, the limit")

    def result(self, node: ast.AST, value: Any, inputs: Sequence[Any] = ()) -> Any:
        """Count new tensors against the limits and cap Python integers."""
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > self.limits.max_int_value:
            raise at(node, f"this number grew beyond the limit of {self.limits.max_int_value}")
        produced = value if isinstance(value, (tuple, list)) else (value,)
        for item in produced:
            if isinstance(item, torch.Tensor) and not any(item is i for i in inputs):
                self.check_size(node, item.numel())
                self.elements += item.numel()
        return value

    def printed(self, node: ast.AST, chars: int) -> None:
        self.chars += chars
        if self.chars > self.limits.max_print_chars:
            raise at(node, f"the program printed more than {self.limits.max_print_chars} "
                           "characters, the limit")
