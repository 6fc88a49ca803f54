"""Knowing a training loop's tail in advance: how many passes are still to come.

A long program keeps its first and last few passes in full. The last ones
cannot be recognised when they happen, only afterwards; so without help
every pass is captured in full (the observing mode on, every node hooked)
and most are thrown away, which costs a training loop 1.7-4x its plain time.

Help comes from the program text. A `for` loop over something with a
length (a range, a list, a tensor, a map-style DataLoader, `enumerate` or
`zip` of those) runs a known number of times, and a body whose top level
calls `loss.backward()` (or `torch.autograd.grad`, or a module-level
function whose top level does) makes at least that many passes per
iteration. Such loops are wrapped (`for step in LOOP(1, range(2000))`) so
the Recorder can ask, at the start of each iteration, "how many passes are
certain to come after this iteration?" and run the iteration without any
capture when the answer is at least the tail it keeps (see
`Recorder.at_iteration`).

Only guarantees count, so a loop is left alone when its body may end it
early (`break`, `return`, `yield`, `exit()`) or when it sits in a `try`
that could swallow an exception ending it; statements after a `continue`
or inside `if`/`try`/nested loops add nothing. A `.backward()` that is not
torch's (a micrograd `Value`) is caught at run time: each iteration's
passes are counted, and one falling short of the promise ends quiet
running for the rest of the program. `while` loops and generators keep
full capture per pass.

What a quiet iteration cannot give a kept pass is the forward value or
the name of a node it made: a graph built across iterations (a hidden
state carried without `detach()`) shows such nodes without them, unless
they were made within the one iteration of margin before the tail.
"""

from __future__ import annotations

import ast
import builtins
import sys
import weakref
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

import torch

from graphs.worker.program import passed_on, program_call


class Iterations(Protocol):
    """What the loops report to (the Recorder): a counted loop's iteration
    starts or ends, and how many passes the program has made."""

    @property
    def pass_count(self) -> int: ...

    def at_iteration(self) -> None: ...


LOOP = "__autograd_explorer_loop__"
LOOP_CALL = "__autograd_explorer_loop_call__"
_EXITS = {"exit", "quit", "sys.exit", "os._exit"}
_GRAD_CALLS = {"torch.autograd.grad", "autograd.grad"}
_SIZED_CALLS = {"enumerate", "zip"}


def count_loops(tree: ast.Module) -> ast.Module:
    """The tree with each loop of known pass count wrapped in a LOOP call."""
    functions: dict[str, ast.FunctionDef | None] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef):
            # Defined twice: which one runs depends on when, so neither counts.
            functions[stmt.name] = None if stmt.name in functions else stmt
    return ast.fix_missing_locations(_LoopWrapper(functions).visit(tree))


def _scope_nodes(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """Every node of `body`, not descending into nested functions or classes."""
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                stack.append(child)


def _breaks(body: list[ast.stmt], kinds: tuple[type, ...]) -> bool:
    """Whether `body` holds a `kinds` statement that acts on this loop (not on a nested one)."""
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, kinds):
            return True
        for child in ast.iter_child_nodes(node):
            if not isinstance(
                child,
                (
                    ast.For,
                    ast.AsyncFor,
                    ast.While,
                    ast.FunctionDef,
                    ast.AsyncFunctionDef,
                    ast.ClassDef,
                    ast.Lambda,
                ),
            ):
                stack.append(child)
    return False


def _returns(body: list[ast.stmt]) -> bool:
    return any(isinstance(node, ast.Return) for node in _scope_nodes(body))


def _ends_early(body: list[ast.stmt]) -> bool:
    """Whether the loop may stop before its length: break, return, yield or exit()."""
    if _breaks(body, (ast.Break,)):
        return True
    for node in _scope_nodes(body):
        if isinstance(node, (ast.Return, ast.Yield, ast.YieldFrom, ast.Await)):
            return True
        if isinstance(node, ast.Call) and ast.unparse(node.func) in _EXITS:
            return True
    return False


class _LoopWrapper(ast.NodeTransformer):
    def __init__(self, functions: dict[str, ast.FunctionDef | None]):
        self.functions = functions
        self.unsafe = 0  # > 0 inside a try body or a generator/async function

    def passes(self, body: list[ast.stmt], seen: frozenset[str] = frozenset()) -> int:
        """Passes certain to be made when `body` runs from its top: calls at
        its top level (and in `with` blocks), up to the first statement that
        may leave it (`continue`, `return`, ...)."""
        total = 0
        for stmt in body:
            if _breaks([stmt], (ast.Continue, ast.Break)) or _returns([stmt]):
                break
            if isinstance(stmt, ast.With):
                total += self.passes(stmt.body, seen)
            elif isinstance(stmt, (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign)) and isinstance(
                stmt.value, ast.Call
            ):
                total += self.call_passes(stmt.value, seen)
        return total

    def call_passes(self, call: ast.Call, seen: frozenset[str]) -> int:
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr == "backward":
            return 1
        if ast.unparse(func) in _GRAD_CALLS:
            return 1
        if isinstance(func, ast.Name) and func.id not in seen:
            defined = self.functions.get(func.id)
            if defined is not None and not _is_generator(defined):
                return self.passes(defined.body, seen | {func.id})
        return 0

    def visit_For(self, node: ast.For) -> Any:
        self.generic_visit(node)
        per_iteration = 0 if self.unsafe or _ends_early(node.body) else self.passes(node.body)
        if per_iteration == 0:
            return node
        count = ast.Constant(per_iteration)
        it = node.iter
        if (
            isinstance(it, ast.Call)
            and isinstance(it.func, ast.Name)
            and it.func.id in _SIZED_CALLS
            and not any(isinstance(arg, ast.Starred) for arg in it.args)
            and all(kw.arg is not None for kw in it.keywords)
        ):
            wrapped = ast.Call(ast.Name(LOOP_CALL, ast.Load()), [count, it.func, *it.args], it.keywords)
        else:
            wrapped = ast.Call(ast.Name(LOOP, ast.Load()), [count, it], [])
        node.iter = ast.copy_location(wrapped, it)
        return node

    def visit_Try(self, node: ast.Try) -> Any:
        self.unsafe += 1
        node.body = [self.visit(stmt) for stmt in node.body]
        self.unsafe -= 1
        for field in ("handlers", "orelse", "finalbody"):
            setattr(node, field, [self.visit(item) for item in getattr(node, field)])
        return node

    visit_TryStar = visit_Try

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> Any:
        unsafe = isinstance(node, ast.AsyncFunctionDef) or _is_generator(node)
        saved, self.unsafe = self.unsafe, (1 if unsafe else 0)
        self.generic_visit(node)
        self.unsafe = saved
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = _function


def _is_generator(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in _scope_nodes(node.body))


def length(iterable: object) -> int | None:
    """How many items iterating `iterable` gives, where that is certain."""
    if type(iterable) in (range, list, tuple, str, dict):
        return len(iterable)  # type: ignore[arg-type]
    if isinstance(iterable, torch.Tensor):
        return iterable.shape[0] if iterable.dim() else None
    data = sys.modules.get("torch.utils.data")
    if (
        data is not None
        and type(iterable) is data.DataLoader
        and not isinstance(iterable.dataset, data.IterableDataset)
    ):
        return len(iterable)
    return None


class _Frame:
    """One running counted loop: passes promised per iteration, iterations left."""

    __slots__ = ("per_iteration", "total", "left", "trusted", "passes_at_start")

    def __init__(self, per_iteration: int, total: int):
        self.per_iteration, self.total, self.left = per_iteration, total, total
        self.trusted = False  # set once an iteration kept the promise
        self.passes_at_start: int | None = None


class Loops:
    """The stack of counted loops running now, fed by the wrapped `for`s."""

    def __init__(self, recorder: Iterations):
        self.recorder = weakref.proxy(recorder)  # no cycle: see Recorder
        self.stack: list[_Frame] = []
        self.broken = False  # an iteration made fewer passes than promised

    def ahead(self) -> tuple[int, int]:
        """Passes certain to come after the current iteration of every loop,
        and the promise of the innermost loop's one iteration (a margin)."""
        certain = 0
        for frame in self.stack:
            if frame.trusted:
                certain += frame.per_iteration * frame.left
        return certain, (self.stack[-1].per_iteration if self.stack else 0)

    def outermost(self) -> tuple[int, int] | None:
        """The outermost counted loop's iteration running now (1-based) and its length: progress."""
        if not self.stack:
            return None
        frame = self.stack[0]
        return frame.total - frame.left, frame.total

    def loop(self, per_iteration: int, iterable: Iterable) -> Iterable:
        total = None if self.broken else length(iterable)
        return iterable if total is None else self._counted(per_iteration, iterable, total)

    def loop_call(self, per_iteration: int, make, *args, **kwargs) -> Iterable:
        """`enumerate(x)` / `zip(a, b)`, called as written, counted when its arguments have lengths."""
        made = program_call(make, args, kwargs)
        if self.broken or make not in (builtins.enumerate, builtins.zip) or not args:
            return made
        lengths = [length(arg) for arg in (args[:1] if make is builtins.enumerate else args)]
        if None in lengths:
            return made
        return self._counted(per_iteration, made, min(lengths))  # type: ignore[type-var]

    def _counted(self, per_iteration: int, iterable: Iterable, total: int) -> Iterator:
        frame = _Frame(per_iteration, total)
        self.stack.append(frame)
        try:
            for item in _program_items(iterable):
                self._check(frame)
                frame.left -= 1
                self.recorder.at_iteration()
                yield item
            self._check(frame)
        finally:
            self.stack.remove(frame)
            self.recorder.at_iteration()

    def _check(self, frame: _Frame) -> None:
        """Count the passes of the iteration that just ended against the promise."""
        made = self.recorder.pass_count
        if frame.passes_at_start is not None:
            if made - frame.passes_at_start < frame.per_iteration:
                self.broken = True
                for other in self.stack:
                    other.trusted = False
            else:
                frame.trusted = not self.broken
        frame.passes_at_start = made


def _program_items(iterable: Iterable) -> Iterator:
    """The items of the program's own iterable (a DataLoader reading its
    dataset): what iterating raises is the program's (graphs.worker.program.passed_on)."""
    try:
        yield from iterable
    except Exception as exc:
        passed_on(exc)
        raise
