"""The chain rule at one node: the op's local Jacobians, read from torch itself.

A grad_fn is a function from the gradient at its output to the gradients it
sends its inputs (a vector-Jacobian product). Calling it with a one-hot
gradient for output element `k` returns row `k` of every local Jacobian, so
`numel` calls give the exact Jacobians torch used, without knowing the op's
formula. The calls happen inside the node's hook, right after the engine
ran it and before the pass frees its saved tensors.

Left out on purpose: leaves (calling AccumulateGrad would add to `.grad`),
custom `autograd.Function`s (their `backward` is the program's own code, and
running it again would repeat its prints and side effects), nodes with more
than one output, and tensors above `JACOBIAN_LIMIT` elements.
"""

from __future__ import annotations

import torch

from graphs.record.model import JACOBIAN_LIMIT
from graphs.worker.walk import is_leaf_fn

# One-hot calls allowed per pass: a big model's pass keeps its pace, a
# teaching network (a few dozen small ops) gets every Jacobian.
CALLS_PER_PASS = 2048
# Only a program's first passes get Jacobians: a 2,000-step training loop
# would otherwise pay for them in every step (26x slower, measured with
# bench/bench_long.py), although it keeps only a few passes in full.
PASSES_WITH_JACOBIANS = 6
# A program that made more passes than its record keeps in full (a training
# loop) keeps them for its first pass only: its next kept passes ran the same
# graph again, and their Jacobians were two thirds of the numbers in a
# 2,000-step loop's record, paid for in the worker's JSON and the caller's
# decoding. Left out when the record is built (graphs.worker.build): while the
# passes run, a loop's promise of more passes may still turn out wrong.
LONG_PROGRAM_PASSES_WITH_JACOBIANS = 1


class JacobianBudget:
    """Counts the one-hot calls of one pass (`index`: its place among all the program's passes)."""

    def __init__(self, index: int = 0, calls: int = CALLS_PER_PASS):
        self.left = calls if index < PASSES_WITH_JACOBIANS else 0

    def local_jacobians(self, fn, grad_inputs, grad_outputs) -> list[torch.Tensor | None] | None:
        """One Jacobian (out_numel x in_numel) per entry of `fn.next_functions`,
        None for an input that got no gradient or is too large; None for the
        whole node when it is not a kind we may call (see the module docstring).

        `grad_inputs` are what the engine passed on: a node's raw result for a
        broadcast input is reduced to that input's shape by the engine
        (`validate_outputs`), so each row is summed to the same shape here."""
        if len(grad_outputs) != 1 or grad_outputs[0] is None or is_leaf_fn(fn):
            return None
        if isinstance(fn, torch.autograd.function.BackwardCFunction):
            return None
        out = grad_outputs[0]
        if out.numel() > JACOBIAN_LIMIT or out.numel() > self.left or out.is_complex():
            return None
        self.left -= out.numel()
        rows: list[tuple] = []
        try:
            with torch.no_grad():
                for k in range(out.numel()):
                    one_hot = torch.zeros(out.numel(), dtype=out.dtype)
                    one_hot[k] = 1
                    sent = fn(one_hot.view(out.shape))
                    rows.append(sent if isinstance(sent, tuple) else (sent,))
        except RuntimeError:  # a node torch will not run twice: no Jacobian, no harm
            return None
        if not rows:
            return None
        return [_stack([row[i] for row in rows], sent) for i, sent in enumerate(grad_inputs)]


def _stack(rows: list[torch.Tensor | None], sent: torch.Tensor | None) -> torch.Tensor | None:
    if sent is None or sent.numel() > JACOBIAN_LIMIT or any(row is None for row in rows):
        return None
    return torch.stack([row.detach().sum_to_size(sent.shape).reshape(-1) for row in rows])
