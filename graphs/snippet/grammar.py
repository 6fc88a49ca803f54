"""Which Python syntax exists in the snippet language at all.

Anything not listed in these tuples is refused by name ("while loops are not
allowed in snippets"), before names and calls are even looked at.
"""
from __future__ import annotations

import ast

from graphs.snippet.errors import at

STATEMENTS = (ast.Module, ast.Import, ast.ImportFrom, ast.Expr, ast.Assign, ast.AugAssign,
              ast.For, ast.If, ast.With, ast.Pass)
EXPRESSIONS = (ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.Call, ast.Attribute,
               ast.Subscript, ast.Slice, ast.Name, ast.Constant, ast.List, ast.Tuple, ast.IfExp)
OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.MatMult,
             ast.USub, ast.UAdd, ast.Not, ast.And, ast.Or, ast.Eq, ast.NotEq, ast.Lt, ast.LtE,
             ast.Gt, ast.GtE, ast.Is, ast.IsNot, ast.Load, ast.Store)
CONSTANT_TYPES = (int, float, bool, str, type(None))

REFUSED = {
    ast.FunctionDef: "function definitions (def)", ast.AsyncFunctionDef: "function definitions (def)",
    ast.ClassDef: "class definitions", ast.Lambda: "lambda functions",
    ast.ListComp: "comprehensions", ast.SetComp: "comprehensions", ast.DictComp: "comprehensions",
    ast.GeneratorExp: "generator expressions", ast.Global: "global statements",
    ast.Nonlocal: "nonlocal statements", ast.Try: "try statements", ast.While: "while loops",
    ast.Delete: "del statements", ast.AsyncFor: "async code", ast.AsyncWith: "async code",
    ast.Await: "async code", ast.Yield: "yield", ast.YieldFrom: "yield",
    ast.JoinedStr: "f-strings", ast.FormattedValue: "f-strings", ast.Starred: "starred (*) arguments",
    ast.Dict: "dict literals", ast.Set: "set literals", ast.NamedExpr: "the := operator",
    ast.Return: "return statements", ast.Raise: "raise statements", ast.Assert: "assert statements",
    ast.Break: "break statements", ast.Continue: "continue statements", ast.Match: "match statements",
    ast.AnnAssign: "annotated assignments", ast.Del: "del statements",
    ast.BitOr: "the | operator", ast.BitAnd: "the & operator", ast.BitXor: "the ^ operator",
    ast.LShift: "the << operator", ast.RShift: "the >> operator", ast.Invert: "the ~ operator",
    ast.In: "'in' tests", ast.NotIn: "'not in' tests",
}


def allowed(node: ast.AST, where: ast.AST | None = None) -> None:
    """Refuse node types outside the language; `where` places operator tags,
    which carry no position of their own."""
    if isinstance(node, STATEMENTS + EXPRESSIONS + OPERATORS + (ast.keyword, ast.alias, ast.withitem)):
        return
    what = REFUSED.get(type(node))
    if what is None:
        what = f"the '{type(node).__name__}' construct"
    verb = "is" if what.startswith("the ") or what in ("yield", "async code") else "are"
    raise at(where or node, f"{what} {verb} not allowed in snippets")
