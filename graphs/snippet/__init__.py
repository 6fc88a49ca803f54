"""Transitional: `graphs.sandbox` still imports `SnippetError` from here until its
own branch moves to `graphs.errors`; delete this file once it has."""
from graphs.errors import ProgramError as SnippetError

__all__ = ["SnippetError"]
