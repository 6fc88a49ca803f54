"""Where in the program's text an op was made, and how it called each pass.

The record names an op by the source it ran (`x * w`, not `MulBackward0`
alone) and a pass by its call (`loss.backward()  line 12`): both are read
from the program's own text, once, after it ran.
"""

from __future__ import annotations

import ast

from graphs.worker.hooks import PassHooks


class Sites:
    """Where ops were made, as program lines and source text.

    `co_positions()` gives each instruction's exact span (Python 3.11+), so
    the op behind `x * w + b`'s multiplication is named `x * w`; ops run
    inside a library module only get the line of the call that ran it.
    """

    MAX_TEXT = 60

    def __init__(self, sites: dict[object, tuple], source: str | None):
        self.sites = sites  # grad_fn -> (code, lasti, inside a module), see Recorder._site
        self.lines = (source or "").splitlines()
        self._positions: dict[object, list] = {}

    def span(self, fn) -> tuple[int | None, str | None]:
        site = self.sites.get(fn)
        if site is None:
            return None, None
        code, lasti, inside = site
        if code not in self._positions:
            self._positions[code] = list(code.co_positions())
        positions = self._positions[code]
        line, end_line, col, end_col = positions[lasti // 2] if lasti // 2 < len(positions) else (None,) * 4
        if line is None:
            return None, None
        if inside or None in (end_line, col, end_col) or end_line > len(self.lines):
            return line, None
        if line == end_line:
            text = self.lines[line - 1][col:end_col]
        else:
            text = " ".join(
                [
                    self.lines[line - 1][col:],
                    *self.lines[line : end_line - 1],
                    self.lines[end_line - 1][:end_col],
                ]
            )
        text = " ".join(text.split())
        return line, (text if len(text) <= self.MAX_TEXT else text[: self.MAX_TEXT - 1] + "…") or None


def pass_titles(source: str | None, passes: list[PassHooks]) -> list[str]:
    """Each pass named by its call as the program wrote it: `loss.backward()  line 12`,
    `autograd.grad(y, x, create_graph=True)  line 7` (the `torch.` prefix left out)."""
    calls: dict[tuple[int, str], str] = {}
    try:
        tree = ast.parse(source or "")
    except SyntaxError:
        tree = ast.Module(body=[], type_ignores=[])
    for node in ast.walk(tree):
        name = isinstance(node, ast.Call) and _called_name(node.func)
        if name in ("backward", "grad"):
            text = " ".join((ast.get_source_segment(source, node) or f"{name}()").split())
            calls.setdefault((node.lineno, name), text.removeprefix("torch."))
    titles = []
    for run in passes:
        call = calls.get((run.line, run.kind), f"{run.kind}()")
        titles.append(call if run.line is None else f"{call}  line {run.line}")
    return titles


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else None
