"""Names from the program: which variable holds which tensor.

Python does not say which name a value was bound to, so the syntax tree is
instrumented before it is compiled: after every assignment statement (plain,
augmented, annotated, tuple, `for` targets) a call to a hidden labeller is
inserted with each target's text and its value. Inside a function the text
is prefixed with the function's name (`forward: h`). Line numbers are copied
from the statement, so tracebacks and capture still point at the user's
lines. A module bound to a name labels its parameters by their paths
(`net.fc1.weight`), whether or not the program ever reads them.
"""

from __future__ import annotations

import ast
import weakref
from typing import Any, Protocol

import torch

from graphs.worker.loops import LOOP

LABELLER = "__autograd_explorer_label__"
# A list, tuple or dict of tensors bound to a name labels this many items
# (`outs[0]`, `params['fc.weight']`: torch.func's functional_call takes dicts).
_MAX_ITEMS = 16


class Labels(Protocol):
    def label(self, tensor: torch.Tensor, text: str, explicit: bool) -> None: ...


def instrument(tree: ast.Module) -> ast.Module:
    """The program's tree with labeller calls after each assignment."""
    return ast.fix_missing_locations(_Instrumenter().visit(tree))


def _container(node: ast.expr) -> ast.expr | None:
    """What an assignment to `node` names: the target itself for names and
    attribute chains, the container for subscripts (`b[0] = ...` names `b`).
    Only side-effect-free chains of names and attributes are read again."""
    while isinstance(node, ast.Subscript):
        node = node.value
    probe = node
    while isinstance(probe, ast.Attribute):
        probe = probe.value
    return node if isinstance(probe, ast.Name) else None


def _targets(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, (ast.Tuple, ast.List)):
        return [leaf for elt in node.elts for leaf in _targets(elt)]
    if isinstance(node, ast.Starred):
        return _targets(node.value)
    found = _container(node)
    return [] if found is None else [found]


class _Instrumenter(ast.NodeTransformer):
    def __init__(self) -> None:
        self.scope: list[str] = []  # enclosing function names, innermost last

    def _call(self, targets: list[ast.expr], where: ast.stmt) -> ast.stmt | None:
        pairs = []
        seen: set[str] = set()
        for target in targets:
            text = ast.unparse(target)
            if text in seen:
                continue
            seen.add(text)
            load = _reload(target)
            pairs.append(ast.Tuple([ast.Constant(text), load], ast.Load()))
        if not pairs:
            return None
        prefix = ast.Constant(self.scope[-1] if self.scope else None)
        call = ast.Call(ast.Name(LABELLER, ast.Load()), [prefix, ast.Tuple(pairs, ast.Load())], [])
        stmt = ast.Expr(call)
        for node in ast.walk(stmt):
            ast.copy_location(node, where)
            node.end_lineno, node.end_col_offset = where.end_lineno, where.end_col_offset
        return stmt

    def _after(self, node: ast.stmt, targets: list[ast.expr]) -> Any:
        call = self._call(targets, node)
        return node if call is None else [node, call]

    def visit_Assign(self, node: ast.Assign) -> Any:
        return self._after(node, [t for target in node.targets for t in _targets(target)])

    def visit_AugAssign(self, node: ast.AugAssign) -> Any:
        return self._after(node, _targets(node.target))

    def visit_AnnAssign(self, node: ast.AnnAssign) -> Any:
        return node if node.value is None else self._after(node, _targets(node.target))

    def visit_For(self, node: ast.For) -> Any:
        self.generic_visit(node)
        if _counts(node.iter):
            return node  # `for step in range(n)` binds ints: nothing to name, every step of a long loop
        call = self._call(_targets(node.target), node)
        if call is not None:
            node.body.insert(0, call)
        return node

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> Any:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = _function

    def visit_ClassDef(self, node: ast.ClassDef) -> Any:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()
        return node


def _counts(it: ast.expr) -> bool:
    """Whether a loop iterates over `range(...)` (possibly wrapped by graphs.worker.loops)."""
    if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == LOOP:
        it = it.args[-1]
    return isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range"


def _reload(target: ast.expr) -> ast.expr:
    """A fresh Load of a target expression (Name or attribute chain)."""
    return ast.parse(ast.unparse(target), mode="eval").body


class Labeller:
    """The callable the instrumented program calls; talks to the recorder.

    (A module the program never binds to a name, `nn.Linear(2, 1)(x)`, leaves
    its parameters unnamed: a global module hook would name them, but it
    puts every module call of a training loop on torch's slow path.)
    """

    def __init__(self, recorder: Labels):
        # Held weakly: the program's namespace (a cycle of its own when it
        # defines a function) must not keep the Recorder and its tensors alive.
        self.recorder = weakref.proxy(recorder)

    def __call__(self, scope: str | None, pairs: tuple[tuple[str, Any], ...]) -> None:
        for text, value in pairs:
            self.value(scope, text, value)

    def value(self, scope: str | None, text: str, value: Any) -> None:
        if isinstance(value, torch.Tensor):
            # `self.w = nn.Parameter(...)` in __init__: the module's path
            # (`model.w`), given when the module is named, is the better name.
            explicit = scope is None or "." not in text
            self.recorder.label(value, text if scope is None else f"{scope}: {text}", explicit=explicit)
        elif isinstance(value, torch.nn.Module):
            # `self.fc1 = nn.Linear(...)` inside __init__ is named later, by
            # the name its owning module gets (`net.fc1.weight`).
            if scope is None or "." not in text:
                self.module(value, text, explicit=scope is None)
        elif isinstance(value, (list, tuple, dict)) and 0 < len(value) <= _MAX_ITEMS:
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(item, torch.Tensor):
                    name = f"{text}[{key!r}]"
                    self.recorder.label(item, name if scope is None else f"{scope}: {name}", explicit=False)

    def module(self, module: torch.nn.Module, text: str, explicit: bool) -> None:
        """Label every parameter of `module` by its path under `text`."""
        for path, param in module.named_parameters():
            self.recorder.label(param, f"{text}.{path}", explicit=explicit)
