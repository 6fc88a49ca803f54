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
from dataclasses import dataclass
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

    def _call(self, targets: list[ast.expr], where: ast.stmt, weak: bool = False) -> ast.stmt | None:
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
        arguments = [prefix, ast.Tuple(pairs, ast.Load()), *([ast.Constant(True)] if weak else [])]
        call = ast.Call(ast.Name(LABELLER, ast.Load()), arguments, [])
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
        # A loop variable (`for p in params`) names each item only for a
        # moment: it is weaker than the name the item already has (`params[0]`).
        call = self._call(_targets(node.target), node, weak=True)
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


class Namer:
    """The callable the instrumented program calls; talks to the recorder.

    (A module the program never binds to a name, `nn.Linear(2, 1)(x)`, leaves
    its parameters unnamed: a global module hook would name them, but it
    puts every module call of a training loop on torch's slow path.)
    """

    def __init__(self, recorder: Labels):
        # Held weakly: the program's namespace (a cycle of its own when it
        # defines a function) must not keep the Recorder and its tensors alive.
        self.recorder = weakref.proxy(recorder)

    def __call__(self, scope: str | None, pairs: tuple[tuple[str, Any], ...], weak: bool = False) -> None:
        for text, value in pairs:
            self.value(scope, text, value, weak)

    def value(self, scope: str | None, text: str, value: Any, weak: bool = False) -> None:
        if isinstance(value, torch.Tensor):
            # `self.w = nn.Parameter(...)` in __init__: the module's path
            # (`model.w`), given when the module is named, is the better name.
            explicit = not weak and (scope is None or "." not in text)
            self.recorder.label(value, text if scope is None else f"{scope}: {text}", explicit=explicit)
        elif isinstance(value, torch.nn.Module):
            # `self.fc1 = nn.Linear(...)` inside __init__ is named later, by
            # the name its owning module gets (`net.fc1.weight`).
            if scope is None or "." not in text:
                self.module(value, text, explicit=scope is None)
        elif isinstance(value, (list, tuple, dict)) and 0 < len(value) <= _MAX_ITEMS:
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(item, torch.Tensor) and _readable(key):
                    name = f"{text}[{key!r}]"
                    self.recorder.label(item, name if scope is None else f"{scope}: {name}", explicit=False)

    def module(self, module: torch.nn.Module, text: str, explicit: bool) -> None:
        """Label every parameter of `module` by its path under `text`."""
        for path, param in module.named_parameters():
            self.recorder.label(param, f"{text}.{path}", explicit=explicit)


def live_names(namespace: dict[str, Any], most: int = 4096) -> dict[int, list[str]]:
    """The names each tensor goes by when the program ended, by `id`: its
    variables, a module variable's parameters by path (`first.fc1.weight`),
    the items of a list, tuple or dict of tensors (`params[0]`). At most
    `most` names: a program may keep a dataset in a list."""
    found: dict[int, list[str]] = {}

    def add(name: str, tensor: torch.Tensor) -> bool:
        found.setdefault(id(tensor), []).append(name)
        return len(found) < most

    for name, value in list(namespace.items()):
        if not isinstance(name, str) or name.startswith("__"):
            continue
        try:
            named = _named_in(name, value, most)
        except Exception:  # noqa: BLE001 (a module of the program's whose parameters cannot be listed)
            continue
        for text, tensor in named:
            if not add(text, tensor):
                return found
    return found


# A key longer than this (a dict keyed by sentences) names nothing: a name is for reading.
_MAX_KEY = 40


def _named_in(name: str, value: Any, most: int) -> list[tuple[str, torch.Tensor]]:
    """The tensors `value`, bound to `name`, holds by a name of their own."""
    if isinstance(value, torch.Tensor):
        return [(name, value)]
    if isinstance(value, torch.nn.Module):
        return [(f"{name}.{path}", param) for path, param in value.named_parameters()]
    if not isinstance(value, (list, tuple, dict)) or len(value) > most:
        return []
    items = value.items() if isinstance(value, dict) else enumerate(value)
    return [
        (f"{name}[{key!r}]", item) for key, item in items if isinstance(item, torch.Tensor) and _readable(key)
    ]


def _readable(key: object) -> bool:
    """Whether a container's key can be part of a name: an int or a short string
    (its `repr` is then ours to trust: a key of the program's own class may
    define any `__repr__`, raising or endless)."""
    return type(key) is int or type(key) is str and len(key) <= _MAX_KEY


@dataclass
class LeafName:
    """A leaf of the record as naming it apart needs it: its node, the name
    it was given while the program ran, the names it has at the end
    (`live_names`), and the line where the program first named it."""

    node_id: str
    name: str | None
    live: list[str]
    line: int | None
    explicit: bool = True  # the program assigned it to this name (not a loop variable or a list's item)


def names_apart(leaves: list[LeafName]) -> dict[str, str]:
    """A name for every leaf that has one, no two alike: what tells two
    tensors that went by one name apart (a model built again under the same
    variable, a tensor bound again in a loop).

    A leaf named nowhere while the program ran (the 17th item of a list, a
    walrus, `register_parameter`) takes its first name at the end, and so
    does one named only weakly (a loop variable, a list's item). A name the
    program bound to another tensor since gives way to one this leaf still
    has at the end (`model.fc1.weight` of the first model is
    `first.fc1.weight` once `first = model; model = Net()` ran). Of several
    leaves left with one name, the one the name still holds keeps it; the
    others say where they were made: `x (line 5)`, or `x (line 5, #2)` when
    one line made several."""
    names: dict[str, str] = {}
    for leaf in leaves:
        if leaf.live and (leaf.name is None or not leaf.explicit or leaf.name not in leaf.live):
            names[leaf.node_id] = leaf.live[0]  # unnamed while it ran, weakly named, or renamed since
        elif leaf.name is not None:
            names[leaf.node_id] = leaf.name
    holders = {leaf.node_id for leaf in leaves if names.get(leaf.node_id) in leaf.live}
    by_name: dict[str, list[LeafName]] = {}
    for leaf in leaves:
        if leaf.node_id in names and leaf.node_id not in holders:
            by_name.setdefault(names[leaf.node_id], []).append(leaf)
    taken = {names[node_id] for node_id in holders}
    for name, group in by_name.items():
        if len(group) == 1 and name not in taken:
            continue
        by_line: dict[int | None, list[LeafName]] = {}
        for leaf in group:
            by_line.setdefault(leaf.line, []).append(leaf)
        for line, same in by_line.items():
            where = f"line {line}" if line is not None else "made earlier"
            for count, leaf in enumerate(same, start=1):
                names[leaf.node_id] = f"{name} ({where}{f', #{count}' if len(same) > 1 else ''})"
    return names
