"""Expression evaluation and the resource bookkeeping every operation shares.

`Evaluator` is the base of the interpreter: it holds the variables, the
captured prints and the step/element counters, and evaluates expression nodes.
Every operation is looked up in `tables`, its result size is predicted and
checked before torch runs it, and torch's exceptions become `SnippetError`s
placed at the node that raised them.
"""
from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import torch

from graphs.snippet import sizes, tables
from graphs.snippet.errors import SnippetError, at, clean_message
from graphs.snippet.budget import Budget
from graphs.snippet.limits import Limits
from graphs.snippet.program import Program

BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
          ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
          ast.Pow: operator.pow, ast.MatMult: operator.matmul}
UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_}
COMPARE = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
           ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Is: operator.is_, ast.IsNot: operator.is_not}
NUMERIC = (int, float, torch.Tensor)


class RecorderLike(Protocol):
    """What the interpreter tells a recorder (graphs.capture.Recorder or a no-op)."""

    def set_line(self, line: int) -> None: ...
    def label(self, tensor: torch.Tensor, text: str, explicit: bool) -> None: ...


def kind(value: object) -> str:
    return "a tensor" if isinstance(value, torch.Tensor) else f"a value of type {type(value).__name__}"


class Evaluator:
    """Evaluates expressions against the program's variables (`env`); the
    interpreter's statements build on it."""

    def __init__(self, program: Program, recorder: RecorderLike | None, limits: Limits):
        self.program, self.recorder, self.limits = program, recorder, limits
        self.budget = Budget(limits)
        self.env: dict[str, object] = {}
        self.prints: list[str] = []

    def guard(self, node: ast.AST, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call `fn`, turning anything it raises into a SnippetError at `node`."""
        try:
            return fn(*args, **kwargs)
        except SnippetError:
            raise
        except Exception as exc:  # torch and Python errors alike become one sentence
            raise at(node, clean_message(exc)) from None

    def label(self, tensor: Any, text: str, explicit: bool) -> None:
        if self.recorder is not None and isinstance(tensor, torch.Tensor):
            self.recorder.label(tensor, text, explicit=explicit)

    # expressions -----------------------------------------------------------------
    def eval(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.Constant):
            return node.value
        value = self.dispatch[type(node)](self, node)
        self.label(value, self.program.text(node), explicit=False)
        return value

    def name(self, node: ast.Name) -> Any:
        if node.id not in self.env:
            raise at(node, f"name '{node.id}' is used before it is assigned")
        return self.env[node.id]

    def attribute(self, node: ast.Attribute) -> Any:
        path = self.program.dotted.get(id(node))
        if path is not None:
            return tables.DTYPES[path]
        owner = self.eval(node.value)
        if isinstance(owner, torch.Tensor) and node.attr in tables.TENSOR_ATTRS:
            return self.guard(node, tables.TENSOR_ATTRS[node.attr], owner)
        if isinstance(owner, torch.nn.Linear) and node.attr in tables.LINEAR_ATTRS:
            return tables.LINEAR_ATTRS[node.attr](owner)
        raise at(node, f"'.{node.attr}' cannot be read from {kind(owner)}")

    def arith(self, node: ast.AST, fn: Callable[[Any, Any], Any], left: Any, right: Any) -> Any:
        """One arithmetic operator, shared by `a + b` and `a += b`."""
        self.budget.step(node)
        for operand in (left, right):
            if not isinstance(operand, NUMERIC):
                raise at(node, f"arithmetic works on numbers and tensors, not on {kind(operand)}")
        if fn in (operator.pow, operator.ipow) and not isinstance(right, torch.Tensor) \
                and not isinstance(left, torch.Tensor) and abs(right) > self.limits.max_exponent:
            raise at(node, f"the exponent {right} is larger than the limit of {self.limits.max_exponent}")
        self.budget.admit(node, sizes.default((left, right), {}), (left, right))
        return self.budget.result(node, self.guard(node, fn, left, right), (left,))

    def binop(self, node: ast.BinOp) -> Any:
        left, right = self.eval(node.left), self.eval(node.right)
        return self.arith(node, BINARY[type(node.op)], left, right)

    def unaryop(self, node: ast.UnaryOp) -> Any:
        operand = self.eval(node.operand)
        self.budget.step(node)
        if not isinstance(node.op, ast.Not) and not isinstance(operand, NUMERIC):
            raise at(node, f"arithmetic works on numbers and tensors, not on {kind(operand)}")
        self.budget.admit(node, sizes.default((operand,), {}), (operand,))
        return self.budget.result(node, self.guard(node, UNARY[type(node.op)], operand))

    def compare(self, node: ast.Compare) -> Any:
        left = self.eval(node.left)
        outcome: Any = True
        for op, comparator in zip(node.ops, node.comparators):
            right = self.eval(comparator)
            self.budget.step(node)
            self.budget.admit(node, sizes.default((left, right), {}), (left, right))
            outcome = self.budget.result(node, self.guard(node, COMPARE[type(op)], left, right))
            if comparator is not node.comparators[-1] and not self.truth(node, outcome):
                return outcome
            left = right
        return outcome

    def boolop(self, node: ast.BoolOp) -> Any:
        value: Any = None
        for item in node.values:
            value = self.eval(item)
            if self.truth(item, value) == isinstance(node.op, ast.Or):
                return value
        return value

    def ifexp(self, node: ast.IfExp) -> Any:
        return self.eval(node.body if self.truth(node.test, self.eval(node.test)) else node.orelse)

    def truth(self, node: ast.AST, value: Any) -> bool:
        return self.guard(node, bool, value)

    def sequence(self, node: ast.List | ast.Tuple) -> Any:
        items = [self.eval(elt) for elt in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)

    def index(self, node: ast.expr) -> Any:
        """A subscript key: slices and tuples of them are only legal here."""
        if isinstance(node, ast.Slice):
            return slice(*(None if part is None else self.eval(part)
                           for part in (node.lower, node.upper, node.step)))
        if isinstance(node, ast.Tuple):
            return tuple(self.index(elt) for elt in node.elts)
        return self.eval(node)

    def subscript(self, node: ast.Subscript) -> Any:
        owner, key = self.eval(node.value), self.index(node.slice)
        self.budget.step(node)
        if isinstance(owner, torch.Tensor):
            self.budget.admit(node, sizes.index(owner, key), (owner,))
        elif not (isinstance(owner, (tuple, list, torch.Size)) and isinstance(key, (int, slice))):
            raise at(node, f"{kind(owner)} cannot be indexed like this")
        return self.budget.result(node, self.guard(node, operator.getitem, owner, key), (owner,))

    def arguments(self, node: ast.Call) -> tuple[list[Any], dict[str, Any]]:
        args = [self.eval(arg) for arg in node.args]
        return args, {kw.arg: self.eval(kw.value) for kw in node.keywords}

    def invoke(self, node: ast.Call, fn: Callable[..., Any], args: Sequence[Any],
               kwargs: dict[str, Any], predicted: int | None, walks_graph: bool = False) -> Any:
        self.budget.step(node)
        self.budget.admit(node, predicted, (*args, *kwargs.values()), walks_graph)
        return self.budget.result(node, self.guard(node, fn, *args, **kwargs), args)

    def call(self, node: ast.Call) -> Any:
        func = node.func
        if isinstance(func, ast.Name) and func.id in tables.BUILTINS:
            return self.builtin(node, func.id)
        path = self.program.dotted.get(id(func))
        if path is not None:
            op = tables.FUNCTIONS.get(path) or tables.MODULES[path]
            args, kwargs = self.arguments(node)
            return self.invoke(node, op.call, args, kwargs, self.guard(node, op.size, args, kwargs),
                               op.walks_graph)
        if isinstance(func, ast.Attribute):
            receiver = self.eval(func.value)
            if not isinstance(receiver, torch.Tensor):
                raise at(func, f"'.{func.attr}()' needs a tensor, not {kind(receiver)}")
            op = tables.TENSOR_METHODS[func.attr]
            args, kwargs = self.arguments(node)
            args = [receiver, *args]
            return self.invoke(node, op.call, args, kwargs, self.guard(node, op.size, args, kwargs),
                               op.walks_graph)
        module = self.eval(func)
        if not isinstance(module, tables.MODULE_TYPES):
            raise at(func, f"'{self.program.text(func)}' is {kind(module)}, not a function or nn module")
        args, _ = self.arguments(node)
        return self.invoke(node, module, args, {}, self.guard(node, tables.module_size, module, args))

    def builtin(self, node: ast.Call, name: str) -> Any:
        args, kwargs = self.arguments(node)
        self.budget.step(node)
        if name == "print":
            for key, value in kwargs.items():
                if value is not None and not isinstance(value, str):
                    raise at(node, f"print's {key}= must be a string")
            sep, end = kwargs.get("sep"), kwargs.get("end")
            text = (" " if sep is None else sep).join(self.guard(node, str, arg) for arg in args)
            self.budget.printed(node, len(text))
            self.prints.append((text + ("\n" if end is None else end)).removesuffix("\n"))
            return None
        if name == "len":
            if len(args) != 1 or not isinstance(args[0], (torch.Tensor, list, tuple, torch.Size)):
                raise at(node, "len() takes one tensor, list or tuple")
            return self.guard(node, len, args[0])
        if not all(isinstance(arg, NUMERIC) for arg in args) or len(args) != 1 and not (
                name == "round" and len(args) == 2 and isinstance(args[1], int)
                and abs(args[1]) <= self.limits.max_exponent):
            raise at(node, f"{name}() takes one number or tensor")
        fn = {"float": float, "int": int, "abs": abs, "round": round}[name]
        return self.budget.result(node, self.guard(node, fn, *args))

    dispatch: dict[type, Callable[[Any, Any], Any]] = {
        ast.Attribute: attribute, ast.BinOp: binop, ast.UnaryOp: unaryop, ast.Compare: compare,
        ast.BoolOp: boolop, ast.IfExp: ifexp, ast.List: sequence, ast.Tuple: sequence,
        ast.Subscript: subscript, ast.Call: call,
    }
