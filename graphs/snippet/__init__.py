"""The snippet language: short PyTorch programs, checked and interpreted.

`parse` refuses anything outside the allow-lists and static limits before a
single statement runs; `interpret` walks the checked tree with real torch,
telling a recorder the line and name of every tensor it makes.
"""
from graphs.snippet.program import Program, parse
from graphs.snippet.errors import SnippetError
from graphs.snippet.interpreter import Outcome, interpret
from graphs.snippet.limits import Limits

__all__ = ["Limits", "Outcome", "Program", "SnippetError", "interpret", "parse"]
