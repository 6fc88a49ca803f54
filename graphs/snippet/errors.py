"""The one error type a snippet can raise, and helpers that place it.

Every refusal (static or at run time) is a `SnippetError` with a 1-based line
and column and one plain sentence, so the app can show it next to the code
instead of a traceback.
"""
from __future__ import annotations

import ast

_MAX_MESSAGE = 200


class SnippetError(Exception):
    """A snippet was refused or failed; `line`/`col` are 1-based or None."""

    def __init__(self, message: str, line: int | None = None, col: int | None = None):
        self.message = message
        self.line = line
        self.col = col
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        if self.col is None:
            return f"line {self.line}: {self.message}"
        return f"line {self.line}, col {self.col}: {self.message}"


def at(node: ast.AST, message: str) -> SnippetError:
    """A `SnippetError` placed at an AST node (columns shown 1-based)."""
    line = getattr(node, "lineno", None)
    offset = getattr(node, "col_offset", None)
    return SnippetError(message, line, None if offset is None else offset + 1)


def clean_message(exc: BaseException) -> str:
    """The first line of an exception's text, trimmed to one readable sentence.

    Torch messages can run to several paragraphs with hints about C++ internals;
    students need only the first statement of what went wrong.
    """
    text = str(exc).strip().splitlines()[0].strip() if str(exc).strip() else ""
    if not text:
        text = type(exc).__name__
    if len(text) > _MAX_MESSAGE:
        cut = text.find(". ", 0, _MAX_MESSAGE)
        text = text[: cut + 1] if cut > 0 else text[:_MAX_MESSAGE].rstrip() + "..."
    return text
