"""A checked snippet, and `parse`, the one way to get one."""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

from graphs.snippet.check import Checker
from graphs.snippet.errors import SnippetError
from graphs.snippet.limits import Limits, check_source_size, check_tree


@dataclass
class Program:
    """A checked snippet, ready for `interpret`."""

    source: str
    tree: ast.Module
    limits: Limits
    dotted: dict[int, str] = field(default_factory=dict)
    texts: dict[int, str] = field(default_factory=dict)

    def text(self, node: ast.AST) -> str:
        return self.texts.get(id(node)) or ast.unparse(node)


def parse(source: str, limits: Limits | None = None) -> Program:
    """Parse and check a snippet; raises `SnippetError` on anything refused."""
    limits = limits or Limits()
    check_source_size(source, limits)
    try:
        tree = ast.parse(source, mode="exec")
    except SyntaxError as exc:
        raise SnippetError(f"syntax error: {exc.msg}", exc.lineno, exc.offset) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise SnippetError("the program could not be parsed: "
                           + (str(exc) or "it is nested too deeply")) from None
    check_tree(tree, limits)
    program = Program(source, tree, limits)
    Checker(program).statements(tree.body)
    return program
