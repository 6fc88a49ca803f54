"""Which iteration of which loop of the program made each op: loop marks.

Teaching code is plain loops (an RNN as `for t in range(400): h = ...`, a
Newton iteration, epochs x mini-batches), with no `nn.Module` call to fold
by. The program itself says where its repeats are: every `for` and `while`
statement is wrapped in `with LOOP_MARK(line, kind):`, and its body starts
with `LOOP_ITERATION(line)`. Each iteration is then an entry of the module
stack (`graphs.worker.modulestack`) like a module call: its path is
`loop@L<line>`, its number the iteration's, its kind `for loop` or
`while loop`, its parent whatever was running when the loop started. So ops
know their iteration as they know their module call, modules called inside
an iteration nest in it, nested loops nest, and folding
(`graphs.views.folding`) folds iterations as it folds calls.

Loops in generator or async functions are left unmarked: their body runs
between the caller's statements, so an iteration of theirs would claim the
caller's ops. A loop's `else:` belongs to no iteration. Iterations are
counted even while capture is quiet (graphs.worker.loops), so an iteration
kept at the end of a long loop has its true number, and full capture and
quiet capture agree.
"""

from __future__ import annotations

import ast
from typing import Any, Protocol

from graphs.record.loops import LOOP_KINDS, loop_path

LOOP_MARK = "__autograd_explorer_loop_mark__"
LOOP_ITERATION = "__autograd_explorer_loop_iteration__"
# Iteration entries kept at most: the record holds at most 20,000 calls
# (graphs.record.decode.Limits), and a long loop of tiny bodies could make more;
# iterations past it are left to their enclosing entry.
MAX_ITERATIONS = 10_000


class CallStack(Protocol):
    """What loop marks write to (`graphs.worker.modulestack.ModuleStack`)."""

    recording: bool
    calls: list[tuple[str, int, str, int | None]]
    top: int | None


def mark_loops(tree: ast.Module) -> ast.Module:
    """The tree with every loop marked (see the module's docstring)."""
    return ast.fix_missing_locations(_Marker().visit(tree))


def _call(name: str, *args: Any) -> ast.Call:
    return ast.Call(ast.Name(name, ast.Load()), [ast.Constant(arg) for arg in args], [])


class _Marker(ast.NodeTransformer):
    def __init__(self) -> None:
        self.skip = 0  # > 0 inside a generator or async function

    def _loop(self, node: ast.For | ast.While, kind: str) -> Any:
        self.generic_visit(node)
        if self.skip:
            return node
        line = node.lineno
        node.body.insert(0, ast.copy_location(ast.Expr(_call(LOOP_ITERATION, line)), node))
        if node.orelse:
            node.orelse.insert(0, ast.copy_location(ast.Expr(_call(LOOP_ITERATION, -line)), node))
        wrapped = ast.With([ast.withitem(_call(LOOP_MARK, line, kind))], [node])
        return ast.copy_location(wrapped, node)

    def visit_For(self, node: ast.For) -> Any:
        return self._loop(node, LOOP_KINDS[0])

    def visit_While(self, node: ast.While) -> Any:
        return self._loop(node, LOOP_KINDS[1])

    def visit_AsyncFor(self, node: ast.AsyncFor) -> Any:
        return node  # only in async functions, which stay unmarked

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> Any:
        unmarked = isinstance(node, ast.AsyncFunctionDef) or _is_generator(node)
        saved, self.skip = self.skip, (1 if unmarked else 0)
        self.generic_visit(node)
        self.skip = saved
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = _function


def _is_generator(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether `node` yields (not counting functions nested in it)."""
    stack: list[ast.AST] = list(node.body)
    while stack:
        current = stack.pop()
        if isinstance(current, (ast.Yield, ast.YieldFrom)):
            return True
        stack.extend(
            child
            for child in ast.iter_child_nodes(current)
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda))
        )
    return False


class _Loop:
    """One running loop statement: what ran around it, and its path."""

    __slots__ = ("line", "kind", "path", "parent", "marks")

    def __init__(self, marks: LoopMarks, line: int, kind: str):
        self.marks, self.line, self.kind, self.path = marks, line, kind, loop_path(line)
        self.parent: int | None = None

    def __enter__(self) -> None:
        self.parent = self.marks.stack.top
        self.marks.running.append(self)

    def __exit__(self, *exc) -> None:
        running = self.marks.running
        if self in running:
            running.reverse()
            running.remove(self)  # the innermost entry that is this loop
            running.reverse()
        self.marks.stack.top = self.parent


class LoopMarks:
    """The running loops of one program run, writing their iterations to the call stack."""

    def __init__(self, stack: CallStack):
        self.stack = stack
        self.running: list[_Loop] = []
        self.counts: dict[str, int] = {}  # loop path -> iterations begun, all runs of it
        self.kept = 0  # iteration entries written

    def loop(self, line: int, kind: str) -> _Loop:
        """`with LOOP_MARK(line, kind):` around a loop statement."""
        return _Loop(self, line, kind)

    def iteration(self, line: int) -> None:
        """`LOOP_ITERATION(line)` at the top of the loop's body (`-line`: its `else:`)."""
        loop = self.running[-1] if self.running else None
        if loop is None or loop.line != abs(line):
            return
        self.stack.top = loop.parent
        if line < 0:
            return
        number = self.counts.get(loop.path, 0)
        self.counts[loop.path] = number + 1
        if self.stack.recording and self.kept < MAX_ITERATIONS:
            self.stack.calls.append((loop.path, number, loop.kind, loop.parent))
            self.stack.top = len(self.stack.calls) - 1
            self.kept += 1
