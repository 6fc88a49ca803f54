"""Run a checked snippet: the statements (assignments, loops, `with`, `if`).

Expressions and the resource bookkeeping live in `evaluate.Evaluator`.  The
recorder is told each statement's line before it runs and the name of every
tensor a statement assigns, so the captured graph can carry the program's own
names; loops are bounded again here because their ranges may come from
variables the static check could not see.
"""
from __future__ import annotations

import ast
import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from graphs.snippet import tables
from graphs.snippet.errors import at
from graphs.snippet.evaluate import Evaluator, RecorderLike, kind
from graphs.snippet.limits import Limits, too_many_iterations
from graphs.snippet.program import Program

INPLACE = {ast.Add: operator.iadd, ast.Sub: operator.isub, ast.Mult: operator.imul,
           ast.Div: operator.itruediv, ast.FloorDiv: operator.ifloordiv, ast.Mod: operator.imod,
           ast.Pow: operator.ipow, ast.MatMult: operator.imatmul}


@dataclass
class Outcome:
    """What a run leaves behind besides the captured graph."""

    prints: list[str] = field(default_factory=list)
    namespace: dict[str, object] = field(default_factory=dict)


def interpret(program: Program, recorder: RecorderLike | None = None,
              limits: Limits | None = None) -> Outcome:
    """Run `program`; raises `SnippetError` when it fails or exceeds a limit."""
    machine = _Machine(program, recorder, limits or program.limits)
    machine.block(program.tree.body)
    return Outcome(machine.prints, dict(machine.env))


class _Machine(Evaluator):
    """Statements; expressions and the resource bookkeeping live in `Evaluator`."""

    def __init__(self, program: Program, recorder: RecorderLike | None, limits: Limits):
        super().__init__(program, recorder, limits)
        self.loop_factor = 1

    # statements ----------------------------------------------------------------
    def block(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            self.budget.step(stmt)
            if self.recorder is not None:
                self.recorder.set_line(stmt.lineno)
            self.statement(stmt)

    def statement(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Expr):
            self.eval(node.value)
        elif isinstance(node, ast.Assign):
            value = self.eval(node.value)
            for target in node.targets:
                self.assign(target, value)
        elif isinstance(node, ast.AugAssign):
            self.augmented(node)
        elif isinstance(node, ast.For):
            self.loop(node)
        elif isinstance(node, ast.If):
            self.block(node.body if self.truth(node.test, self.eval(node.test)) else node.orelse)
        elif isinstance(node, ast.With):
            self.within(node, node.items)
        # Import, ImportFrom and Pass do nothing: the allowed modules are predefined.

    def within(self, node: ast.With, items: list[ast.withitem]) -> None:
        if not items:
            self.block(node.body)
            return
        with tables.CONTEXTS[self.program.dotted[id(items[0].context_expr.func)]]():
            self.within(node, items[1:])

    def loop(self, node: ast.For) -> None:
        bounds = [self.eval(arg) for arg in node.iter.args]
        if not all(isinstance(b, int) and not isinstance(b, bool) for b in bounds):
            raise at(node.iter, "range() takes whole numbers")
        steps = self.guard(node.iter, range, *bounds)
        total = len(steps) * self.loop_factor
        if total > self.limits.max_loop_iterations:
            raise too_many_iterations(node.iter, total, self.limits)
        outer, self.loop_factor = self.loop_factor, max(total, 1)
        try:
            for i in steps:
                self.env[node.target.id] = i
                self.block(node.body)
        finally:
            self.loop_factor = outer

    def assign(self, target: ast.expr, value: Any) -> None:
        if isinstance(target, ast.Name):
            self.env[target.id] = value
            self.label(value, target.id, explicit=True)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for item, value_item in zip(target.elts, self.unpack(target, value)):
                self.assign(item, value_item)
        elif isinstance(target, ast.Subscript):
            owner, key = self.tensor_of(target.value), self.index(target.slice)
            self.budget.step(target)
            self.guard(target, operator.setitem, owner, key, value)
            if isinstance(target.value, ast.Name):
                self.label(owner, target.value.id, explicit=True)
        else:
            owner = self.tensor_of(target.value)
            self.guard(target, tables.SETTABLE[target.attr], owner, value)

    def augmented(self, node: ast.AugAssign) -> None:
        target, fn = node.target, INPLACE[type(node.op)]
        if isinstance(target, ast.Name):
            current = self.eval(target)
            value = self.arith(node, fn, current, self.eval(node.value))
            self.assign(target, value)
        elif isinstance(target, ast.Subscript):
            owner, key = self.tensor_of(target.value), self.index(target.slice)
            current = self.guard(target, operator.getitem, owner, key)
            value = self.arith(node, fn, current, self.eval(node.value))
            self.guard(target, operator.setitem, owner, key, value)
            if isinstance(target.value, ast.Name):
                self.label(owner, target.value.id, explicit=True)
        else:
            owner = self.tensor_of(target.value)
            current = tables.TENSOR_ATTRS[target.attr](owner)
            value = self.arith(node, fn, current, self.eval(node.value))
            self.guard(target, tables.SETTABLE[target.attr], owner, value)

    def tensor_of(self, node: ast.expr) -> torch.Tensor:
        value = self.eval(node)
        if not isinstance(value, torch.Tensor):
            raise at(node, f"only tensors can be changed in place, and this is {kind(value)}")
        return value

    def unpack(self, target: ast.Tuple | ast.List, value: Any) -> Sequence[Any]:
        count = len(target.elts)
        if isinstance(value, torch.Tensor) and value.dim() > 0 and value.shape[0] == count:
            return self.guard(target, torch.Tensor.unbind, value, 0)
        if isinstance(value, (tuple, list, torch.Size)) and len(value) == count:
            return value
        raise at(target, f"{kind(value)} cannot be unpacked into {count} names")
