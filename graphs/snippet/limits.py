"""Resource limits, and the checks that can be made on the text alone.

A public server runs whatever students type, so anything that could exhaust
memory or time is refused before the first statement runs whenever the program
text already shows it (huge literals, power towers, deep nesting, long source).
What only shows at run time (tensor sizes, loop counts from variables, steps)
is checked by the interpreter against the same `Limits`.
"""
from __future__ import annotations

import ast
import operator
from dataclasses import dataclass

from graphs.snippet.errors import SnippetError, at


@dataclass(frozen=True)
class Limits:
    """Caps on program text and on the work a run may do."""

    max_source_bytes: int = 8 * 1024
    max_nodes: int = 2_000
    max_depth: int = 30
    max_int_literal: int = 10**6
    max_exponent: int = 64
    max_literal_elements: int = 1_000
    max_loop_iterations: int = 1_000
    max_steps: int = 20_000
    max_tensor_elements: int = 1_000_000
    max_total_elements: int = 10_000_000
    max_int_value: int = 2**63
    max_print_chars: int = 100_000
    max_work: int = 200_000_000  # tensor elements read and written by all operations


# Nodes that carry no structure of their own (contexts, operator tags).
_TAGS = (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)


def check_source_size(source: str, limits: Limits) -> None:
    size = len(source.encode("utf-8", errors="replace"))
    if size > limits.max_source_bytes:
        raise SnippetError(
            f"the program is {size} bytes long; the limit is {limits.max_source_bytes} bytes")


def check_tree(tree: ast.Module, limits: Limits) -> None:
    """Node count and nesting depth, measured without recursion."""
    count = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, _TAGS):
            continue
        count += 1
        if count > limits.max_nodes:
            raise SnippetError(
                f"the program has more than {limits.max_nodes} syntax nodes, the limit")
        if depth > limits.max_depth:
            raise at(node, f"the code is nested more than {limits.max_depth} levels deep, the limit")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    for node in ast.walk(tree):
        _check_node(node, limits)


def _check_node(node: ast.AST, limits: Limits) -> None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int) \
            and not isinstance(node.value, bool) and abs(node.value) > limits.max_int_literal:
        raise at(node, f"the number {node.value} is larger than the limit of {limits.max_int_literal}")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        _check_power(node, limits)
    if isinstance(node, (ast.List, ast.Tuple)):
        total = literal_elements(node)
        if total > limits.max_literal_elements:
            raise at(node, f"this list has {total} elements; the limit is "
                           f"{limits.max_literal_elements} per literal")


def _check_power(node: ast.BinOp, limits: Limits) -> None:
    right = node.right
    if isinstance(right, ast.UnaryOp) and isinstance(right.op, (ast.USub, ast.UAdd)):
        right = right.operand
    if isinstance(right, ast.BinOp) and isinstance(right.op, ast.Pow):
        raise at(node, "power towers such as a ** b ** c are not allowed")
    if isinstance(right, ast.Constant) and isinstance(right.value, (int, float)) \
            and abs(right.value) > limits.max_exponent:
        raise at(node, f"the exponent {right.value} is larger than the limit of {limits.max_exponent}")


def literal_elements(node: ast.List | ast.Tuple) -> int:
    """Leaf elements of a (nested) list or tuple literal."""
    total = 0
    stack: list[ast.expr] = list(node.elts)
    while stack:
        item = stack.pop()
        if isinstance(item, (ast.List, ast.Tuple)):
            stack.extend(item.elts)
        else:
            total += 1
    return total


def too_big(node: ast.AST, count: int, limits: Limits) -> SnippetError:
    return at(node, f"this would make a tensor of {count} elements; "
                    f"the limit is {limits.max_tensor_elements}")


def too_many_iterations(node: ast.AST, count: int, limits: Limits) -> SnippetError:
    return at(node, f"this loop would run {count} times; the limit is "
                    f"{limits.max_loop_iterations} (nested loops multiply)")


_FOLDABLE = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
             ast.FloorDiv: operator.floordiv, ast.Pow: operator.pow}


def fold(node: ast.expr, limits: Limits) -> object:
    """The value of a constant number expression such as `10**5` or `(3, 4)`,
    or None when it depends on variables (the interpreter checks it then)."""
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = fold(node.operand, limits)
        return -value if isinstance(value, (int, float)) else None
    if isinstance(node, (ast.Tuple, ast.List)):
        items = [fold(elt, limits) for elt in node.elts]
        return tuple(items) if all(isinstance(i, (int, float)) for i in items) else None
    if isinstance(node, ast.BinOp) and type(node.op) in _FOLDABLE:
        left, right = fold(node.left, limits), fold(node.right, limits)
        if not (isinstance(left, (int, float)) and isinstance(right, (int, float))):
            return None
        if isinstance(node.op, ast.Pow) and abs(right) > limits.max_exponent:
            return None
        try:
            value = _FOLDABLE[type(node.op)](left, right)
        except ArithmeticError:
            return None
        return value if not isinstance(value, int) or abs(value) <= limits.max_int_value else None
    return None
