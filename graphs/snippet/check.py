"""The static check: walk the syntax tree once, before anything runs, and
refuse every construct, name, attribute, call and keyword not in the tables.

It also records what the interpreter needs later (the canonical name of each
`torch.x.y` chain and the source text of each expression) in the `Program`.
"""
from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from graphs.snippet import tables
from graphs.snippet.errors import at
from graphs.snippet.grammar import CONSTANT_TYPES, allowed
from graphs.snippet.limits import fold, too_big, too_many_iterations

if TYPE_CHECKING:
    from graphs.snippet.program import Program


def dotted_path(node: ast.expr) -> str | None:
    """`torch.nn.functional.relu` (canonical) for an attribute chain rooted at
    one of the predefined module names, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id in tables.NAMESPACES and parts:
        return ".".join([tables.NAMESPACES[node.id], *reversed(parts)])
    return None


class Checker:
    """Walks statements in source order, so a name must be assigned above its first use."""

    def __init__(self, program: Program):
        self.program = program
        self.limits = program.limits
        self.defined: set[str] = set()
        self.loop_factor = 1  # iterations of the enclosing loops, when known from the text

    # statements ---------------------------------------------------------
    def statements(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            self.statement(stmt)

    def statement(self, node: ast.stmt) -> None:
        allowed(node)
        if isinstance(node, ast.Import):
            for alias in node.names:
                self.imported(node, alias.name, alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                self.imported(node, f"{node.module}.{alias.name}" if node.level == 0 else "",
                              alias.asname or alias.name)
        elif isinstance(node, ast.Expr):
            self.expr(node.value)
        elif isinstance(node, ast.Assign):
            self.expr(node.value)
            for target in node.targets:
                self.target(target)
        elif isinstance(node, ast.AugAssign):
            allowed(node.op, where=node)
            self.expr(node.value)
            if isinstance(node.target, ast.Name):
                self.name_load(node.target)
            self.target(node.target)
        elif isinstance(node, ast.For):
            self.for_loop(node)
        elif isinstance(node, ast.If):
            self.expr(node.test)
            self.statements(node.body)
            self.statements(node.orelse)
        elif isinstance(node, ast.With):
            for item in node.items:
                self.context(item)
            self.statements(node.body)

    def imported(self, node: ast.AST, module: str, bound: str) -> None:
        if (module, bound) not in tables.IMPORTS:
            raise at(node, "only 'import torch', 'import torch.nn as nn', "
                           "'import torch.nn.functional as F' and 'import numpy as np' are allowed")

    def for_loop(self, node: ast.For) -> None:
        it = node.iter
        if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range"
                and 1 <= len(it.args) <= 3 and not it.keywords):
            raise at(it, "for loops may only run over range(...)")
        if node.orelse:
            raise at(node, "for ... else is not allowed")
        if not isinstance(node.target, ast.Name):
            raise at(node.target, "a for loop needs a single name, as in 'for i in range(3):'")
        for arg in it.args:
            self.expr(arg)
        self.target(node.target)
        bounds = [fold(arg, self.limits) for arg in it.args]
        outer = self.loop_factor
        if all(isinstance(b, int) for b in bounds) and not (len(bounds) == 3 and bounds[2] == 0):
            self.loop_factor = outer * len(range(*bounds))
            if self.loop_factor > self.limits.max_loop_iterations:
                raise too_many_iterations(it, self.loop_factor, self.limits)
        self.statements(node.body)
        self.loop_factor = outer

    def context(self, item: ast.withitem) -> None:
        call = item.context_expr
        path = dotted_path(call.func) if isinstance(call, ast.Call) else None
        if path not in tables.CONTEXTS or call.args or call.keywords or item.optional_vars:
            raise at(call, "'with' is only allowed as 'with torch.no_grad():'")
        self.program.dotted[id(call.func)] = path

    # assignment targets --------------------------------------------------
    def target(self, node: ast.expr) -> None:
        allowed(node)
        if isinstance(node, ast.Name):
            if node.id in tables.RESERVED:
                raise at(node, f"'{node.id}' cannot be reassigned")
            if node.id.startswith("__"):
                raise at(node, f"the name '{node.id}' is not allowed")
            self.defined.add(node.id)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for elt in node.elts:
                self.target(elt)
        elif isinstance(node, ast.Subscript):
            self.expr(node.value)
            self.expr(node.slice)
        elif isinstance(node, ast.Attribute):
            if dotted_path(node) is not None or node.attr not in tables.SETTABLE:
                raise at(node, f"'{ast.unparse(node)}' cannot be assigned to")
            self.expr(node.value)
        else:
            raise at(node, "this cannot be assigned to")

    # expressions ----------------------------------------------------------
    def expr(self, node: ast.expr) -> None:
        allowed(node)
        if not isinstance(node, (ast.Name, ast.Constant)):
            self.program.texts[id(node)] = ast.unparse(node)
        if isinstance(node, ast.Name):
            self.name_load(node)
        elif isinstance(node, ast.Constant):
            if not isinstance(node.value, CONSTANT_TYPES) and node.value is not Ellipsis:
                raise at(node, f"constants like {node.value!r} are not allowed")
        elif isinstance(node, ast.Attribute):
            self.attribute(node, callee=False)
        elif isinstance(node, ast.Call):
            self.call(node)
        else:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr):
                    self.expr(child)
                else:
                    allowed(child, where=node)

    def name_load(self, node: ast.Name) -> None:
        if node.id in tables.NAMESPACES:
            raise at(node, f"'{node.id}' can only be used to call its functions")
        if node.id in tables.BUILTINS:
            raise at(node, f"'{node.id}' can only be called")
        if node.id not in self.defined and node.id not in ("True", "False", "None"):
            raise at(node, f"name '{node.id}' is not defined")

    def attribute(self, node: ast.Attribute, callee: bool) -> None:
        path = dotted_path(node)
        if path is not None:
            self.program.dotted[id(node)] = path
            known = tables.FUNCTIONS.keys() | tables.MODULES.keys()
            if callee and path in known or not callee and path in tables.DTYPES:
                return
            if path in known:
                raise at(node, f"'{ast.unparse(node)}' is a function; it can only be called")
            if path in tables.CONTEXTS:
                raise at(node, f"'{ast.unparse(node)}()' is only allowed as 'with {ast.unparse(node)}():'")
            if path in tables.DTYPES:
                raise at(node, f"'{ast.unparse(node)}' cannot be called")
            if path in tables.NAMESPACE_PATHS:
                raise at(node, f"'{ast.unparse(node)}' can only be used to call its functions")
            raise at(node, f"'{ast.unparse(node)}' is not an operation snippets may use")
        name = node.attr
        if callee and name not in tables.TENSOR_METHODS:
            raise at(node, f"'.{name}()' is not a method snippets may use")
        if not callee and name not in tables.READABLE:
            if name in tables.TENSOR_METHODS:
                raise at(node, f"'.{name}' is a method; it can only be called")
            raise at(node, f"'.{name}' is not an attribute snippets may use")
        self.expr(node.value)

    def call(self, node: ast.Call) -> None:
        func = node.func
        allowed(func)
        if isinstance(func, ast.Name) and func.id in tables.BUILTINS:
            if func.id == "range":
                raise at(func, "range() may only be used in 'for i in range(...):'")
            accepted, label = tables.BUILTINS[func.id], func.id
        elif isinstance(func, ast.Name) and func.id in tables.NAMESPACES:
            raise at(func, f"'{func.id}' cannot be called")
        elif isinstance(func, ast.Attribute):
            self.attribute(func, callee=True)
            path = self.program.dotted.get(id(func))
            op = (tables.FUNCTIONS.get(path) or tables.MODULES.get(path)) if path \
                else tables.TENSOR_METHODS[func.attr]
            accepted, label = op.kwargs, ast.unparse(func)
            if path:
                self.static_size(node, op)
        elif isinstance(func, (ast.Name, ast.Call, ast.Subscript)):
            self.expr(func)  # a module object, e.g. `layer(x)`; checked again when it runs
            accepted, label = frozenset(), ast.unparse(func)
        else:
            raise at(func, "only functions, methods and nn modules can be called")
        for arg in node.args:
            self.expr(arg)
        for keyword in node.keywords:
            if keyword.arg is None:
                raise at(keyword, "'**' arguments are not allowed")
            if keyword.arg not in accepted:
                raise at(keyword, f"'{keyword.arg}=' is not an argument snippets may pass to '{label}'")
            self.expr(keyword.value)

    def static_size(self, node: ast.Call, op: tables.Op) -> None:
        """Refuse a factory whose size is plain in the text, e.g. torch.ones(10**5, 10**5)."""
        args = [fold(arg, self.limits) for arg in node.args]
        if None in args:
            return
        try:
            count = op.size(tuple(args), {})
        except (TypeError, ValueError, ArithmeticError):
            return
        if count is not None and count > self.limits.max_tensor_elements:
            raise too_big(node, count, self.limits)
