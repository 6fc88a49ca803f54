"""The one error type a snippet can raise, and helpers that place it.

Every refusal (static or at run time) is a `SnippetError` with a 1-based line
and column and one plain sentence, so the app can show it next to the code
instead of a traceback.
"""
from __future__ import annotations

import ast

from graphs.errors import ProgramError, clean_message  # noqa: F401

# Transitional: the snippet language is being replaced by real Python (issue 8).
SnippetError = ProgramError


def at(node: ast.AST, message: str) -> SnippetError:
    """A `SnippetError` placed at an AST node (columns shown 1-based)."""
    line = getattr(node, "lineno", None)
    offset = getattr(node, "col_offset", None)
    return SnippetError(message, line, None if offset is None else offset + 1)
