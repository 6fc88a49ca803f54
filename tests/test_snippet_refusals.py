"""Everything outside the snippet language is refused, with a place and a reason.

Static refusals come from `parse` alone, so a refused program never starts.
"""
from __future__ import annotations

import pytest

from graphs.snippet import SnippetError, interpret, parse

# (source, line, col, a phrase the message must contain)
STATIC = [
    ('def f(x):\n    return x', 1, 1, 'function definitions'),
    ('class A:\n    pass', 1, 1, 'class definitions'),
    ('f = lambda x: x', 1, 5, 'lambda'),
    ('a = [i for i in range(3)]', 1, 5, 'comprehensions'),
    ('a = {i: i for i in range(3)}', 1, 5, 'comprehensions'),
    ('a = torch.sum(i for i in range(3))', 1, 14, 'generator'),
    ('global x', 1, 1, 'global'),
    ('try:\n    x = 1\nexcept Exception:\n    x = 2', 1, 1, 'try'),
    ('while True:\n    pass', 1, 1, 'while'),
    ('x = 1\ndel x', 2, 1, 'del'),
    ('async def f():\n    pass', 1, 1, 'function definitions'),
    ("x = 1\nprint(f'{x}')", 2, 7, 'f-strings'),
    ('x = [1]\nprint(*x)', 2, 7, 'starred'),
    ("a = {'k': 1}", 1, 5, 'dict literals'),
    ('a = {1, 2}', 1, 5, 'set literals'),
    ('for i in range(2):\n    if i == 1:\n        print(z)\n    z = i', 3, 15, "name 'z' is not defined"),
    ('x = 1\nif (y := x):\n    pass', 2, 5, 'the := operator'),
    ('x = 1\nassert x', 2, 1, 'assert'),
    ('raise ValueError', 1, 1, 'raise'),
    ('for i in range(3):\n    break', 2, 5, 'break'),
    ('x: int = 1', 1, 1, 'annotated'),
    ('x = 1 | 2', 1, 5, 'the | operator'),
    ('x = 1 << 40', 1, 5, 'the << operator'),
    ('x = ~1', 1, 5, 'the ~ operator'),
    ('x = 1 in [1]', 1, 5, "'in' tests"),
    ("x = b'abc'", 1, 5, 'constants like'),
    ('x = 1j', 1, 5, 'constants like'),
    ('match 1:\n    case 1:\n        pass', 1, 1, 'match'),
    ('import os', 1, 1, "only 'import torch'"),
    ('import torch as t', 1, 1, "only 'import torch'"),
    ('from torch import load', 1, 1, "only 'import torch'"),
    ('from torch import *', 1, 1, "only 'import torch'"),
    ('import subprocess, torch', 1, 1, "only 'import torch'"),
    ('from . import x', 1, 1, "only 'import torch'"),
    ('y = x + 1', 1, 5, "name 'x' is not defined"),
    ('torch = 1', 1, 1, "'torch' cannot be reassigned"),
    ('nn = 1', 1, 1, "'nn' cannot be reassigned"),
    ('F = 1', 1, 1, "'F' cannot be reassigned"),
    ('print = 1', 1, 1, "'print' cannot be reassigned"),
    ('for range in range(2):\n    pass', 1, 5, "'range' cannot be reassigned"),
    ('a, np = 1, 2', 1, 4, "'np' cannot be reassigned"),
    ('__builtins__ = 1', 1, 1, 'is not allowed'),
    ("x = __import__('os')", 1, 5, "name '__import__' is not defined"),
    ("x = open('/etc/passwd')", 1, 5, "name 'open' is not defined"),
    ("x = eval('1')", 1, 5, "name 'eval' is not defined"),
    ('t = torch', 1, 5, "'torch' can only be used"),
    ('p = print', 1, 5, "'print' can only be called"),
    ('r = range(3)', 1, 5, 'range() may only be used'),
    ('torch()', 1, 1, "'torch' cannot be called"),
    ("torch.load('x')", 1, 1, "'torch.load' is not an operation"),
    ("torch.save(1, 'x')", 1, 1, "'torch.save' is not an operation"),
    ("torch.hub.load('a', 'b')", 1, 1, "'torch.hub.load' is not an operation"),
    ('torch.jit.script(1)', 1, 1, "'torch.jit.script' is not an operation"),
    ('torch.compile(1)', 1, 1, "'torch.compile' is not an operation"),
    ('torch.ops.aten.add(1, 2)', 1, 1, "'torch.ops.aten.add' is not an operation"),
    ('torch.utils.data.DataLoader(1)', 1, 1, 'is not an operation'),
    ("torch.os.system('ls')", 1, 1, "'torch.os.system' is not an operation"),
    ('torch.sys.modules', 1, 1, "'torch.sys.modules' is not an operation"),
    ("torch.from_file('x')", 1, 1, "'torch.from_file' is not an operation"),
    ('torch.Tensor.apply_(1)', 1, 1, "'torch.Tensor.apply_' is not an operation"),
    ('x = torch.ones(2)\nx.apply_(abs)', 2, 1, "'.apply_()' is not a method"),
    ('x = torch.ones(2)\nx.map_(x, abs)', 2, 1, "'.map_()' is not a method"),
    ('x = torch.ones(2, requires_grad=True)\nx.register_hook(x)', 2, 1, "'.register_hook()' is not a method"),
    ('x = torch.ones(2)\ny = x.__class__', 2, 5, "'.__class__' is not an attribute"),
    ('x = torch.ones(2)\ny = x.grad_fn.next_functions', 2, 5, "'.next_functions' is not an attribute"),
    ('x = torch.ones(2)\nx.grad_fn.register_hook(x)', 2, 1, "'.register_hook()' is not a method"),
    ('x = torch.ones(2)\ny = x.storage()', 2, 5, "'.storage()' is not a method"),
    ('x = torch.ones(2)\ny = x.numpy()', 2, 5, "'.numpy()' is not a method"),
    ("x = torch.ones(2)\ny = x.to('meta')", 2, 5, "'.to()' is not a method"),
    ("print('{}'.format(1))", 1, 7, "'.format()' is not a method"),
    ('m = nn.Module()', 1, 5, "'nn.Module' is not an operation"),
    ('x = F.__dict__', 1, 5, "'F.__dict__' is not an operation"),
    ("x = np.load('x')", 1, 5, "'np.load' is not an operation"),
    ('x = torch.nn', 1, 5, "'torch.nn' can only be used"),
    ('f = torch.mm', 1, 5, "'torch.mm' is a function"),
    ('f = nn.Linear', 1, 5, "'nn.Linear' is a function"),
    ('x = torch.ones(2)\nf = x.sum', 2, 5, "'.sum' is a method"),
    ('x = torch.float()', 1, 5, "'torch.float' cannot be called"),
    ('x = torch.no_grad()', 1, 5, "only allowed as 'with torch.no_grad():'"),
    ("with open('x'):\n    pass", 1, 6, "'with' is only allowed"),
    ('with torch.no_grad() as g:\n    pass', 1, 6, "'with' is only allowed"),
    ('x = torch.ones(2, out=None)', 1, 19, "'out=' is not an argument"),
    ("x = torch.ones(2, device='cuda')", 1, 19, "'device=' is not an argument"),
    ('x = torch.tensor([1.0], pin_memory=True)', 1, 25, "'pin_memory=' is not an argument"),
    ('x = torch.ones(2)\ny = x.sum(out=x)', 2, 11, "'out=' is not an argument"),
    ('x = torch.ones(2)\nprint(x, file=None)', 2, 10, "'file=' is not an argument"),
    ('k = {}\nx = torch.ones(2, **k)', 1, 5, 'dict literals'),
    ('m = nn.Linear(2, 2)\ny = m(torch.ones(2), hook=1)', 2, 22, "'hook=' is not an argument"),
    ('for i in [1, 2]:\n    pass', 1, 10, 'for loops may only run over range'),
    ('for i in range(3):\n    pass\nelse:\n    pass', 1, 1, 'for ... else'),
    ('for a, b in range(3):\n    pass', 1, 5, 'a single name'),
    ('x = torch.ones(2)\nx.foo = 1', 2, 1, "'x.foo' cannot be assigned to"),
    ('torch.float = 1', 1, 1, "'torch.float' cannot be assigned to"),
    ('x = torch.ones(2)\nx.__class__ = 1', 2, 1, 'cannot be assigned to'),
    ('(1)(2)', 1, 2, 'only functions, methods and nn modules can be called'),
]

RUNTIME = [
    ('x = 1\nx(2)', 2, 1, 'is a value of type int, not a function'),
    ('x = torch.ones(2)\ny = x.grad_fn\ny(x)', 3, 1, 'not a function or nn module'),
]


@pytest.mark.parametrize("source, line, col, phrase", STATIC)
def test_refused_before_running(source, line, col, phrase):
    with pytest.raises(SnippetError) as info:
        parse(source)
    err = info.value
    assert (err.line, err.col) == (line, col)
    assert phrase in err.message
    assert str(err) == f"line {line}, col {col}: {err.message}"
    assert "\n" not in err.message and "Traceback" not in err.message


@pytest.mark.parametrize("source, line, col, phrase", RUNTIME)
def test_calling_a_non_callable_value_is_refused_when_it_runs(source, line, col, phrase):
    program = parse(source)
    with pytest.raises(SnippetError) as info:
        interpret(program)
    assert (info.value.line, info.value.col) == (line, col)
    assert phrase in info.value.message


def test_refusal_message_reads_as_documented():
    with pytest.raises(SnippetError) as info:
        parse("import torch\nx = torch.ones(2)\n\ny = torch.load('w.pt')")
    assert str(info.value) == "line 4, col 5: 'torch.load' is not an operation snippets may use"


def test_refusal_anywhere_stops_the_whole_program():
    # the forbidden call sits after a print; parse must refuse before any line runs
    with pytest.raises(SnippetError) as info:
        parse("print('started')\nfor i in range(2):\n    x = torch.ones(2)\n    x.register_hook(x)")
    assert info.value.line == 4


@pytest.mark.parametrize("source, line, col", [
    ("x = (1, 2", 1, 5),
    ("x = 1 +", 1, 8),
    ("for i in range(3)\n    pass", 1, 18),
    ("x = 1\n  y = 2", 2, 2),
])
def test_syntax_errors_carry_the_parser_position(source, line, col):
    with pytest.raises(SnippetError) as info:
        parse(source)
    assert (info.value.line, info.value.col) == (line, col)
    assert info.value.message.startswith("syntax error: ")


def test_null_bytes_are_a_clean_error():
    with pytest.raises(SnippetError, match="could not be parsed|syntax error"):
        parse("x = 1\0")


def test_error_without_position_has_no_prefix():
    err = SnippetError("too long")
    assert (str(err), err.line, err.col) == ("too long", None, None)


@pytest.mark.parametrize("source, line, col, phrase", [
    ("a = torch.ones(2, 3)\nb = torch.ones(2, 3)\nc = torch.mm(a, b)", 3, 5, "cannot be multiplied"),
    ("x = torch.ones(2, requires_grad=True)\ny = (x * x).sum()\ny.backward()\ny.backward()",
     4, 1, "backward through the graph a second time"),
    ("x = torch.ones(2, requires_grad=True)\ny = x * 2\ny.backward()", 3, 1, "scalar outputs"),
    ("a = torch.ones(2, requires_grad=True)\nb = a.sigmoid()\nb.mul_(2)\nb.sum().backward()",
     4, 1, "modified by an inplace operation"),
    ("a = torch.ones(2, requires_grad=True)\na.add_(1)", 2, 1, "leaf Variable that requires grad"),
    ("x = torch.tensor([1, 2, 3], requires_grad=True)", 1, 5, "floating point"),
    ("x = torch.ones(3)\ny = 1 + x[5]", 2, 9, "out of bounds"),
    ("x = torch.ones(3)\ny = x + torch.ones(4)", 2, 5, "must match the size"),
    ("y = 1 / 0", 1, 5, "division by zero"),
    ("x = torch.ones(2, 2)\nif x > 0:\n    pass", 2, 4, "ambiguous"),
    ("a, b = torch.ones(3)", 1, 1, "cannot be unpacked into 2 names"),
    ("x = 1\nx[0] = 2", 2, 1, "only tensors can be changed in place"),
    ("x = (1, 2)\ny = x + x", 2, 5, "arithmetic works on numbers and tensors"),
    ("s = 'ab' * 3", 1, 5, "arithmetic works on numbers and tensors"),
    ("x = torch.ones(2)\ny = x.grad.sum()", 2, 5, "needs a tensor, not a value of type NoneType"),
    ("x = torch.ones(2)\nx.data = 3", 2, 1, "data"),
    ("if 1 > 2:\n    z = 1\nprint(z)", 3, 7, "used before it is assigned"),
    ("for i in range(1.5):\n    pass", 1, 10, "whole numbers"),
    ("x = torch.ones(2)\ny = x.weight", 2, 5, "cannot be read from a tensor"),
    ("print('a', sep=1)", 1, 1, "must be a string"),
    ("n = len(3)", 1, 5, "len() takes one tensor"),
    ("n = int('12')", 1, 5, "takes one number or tensor"),
    ("x = torch.ones(2)\ny = x[1.5]", 2, 5, "valid indices"),
])
def test_runtime_errors_are_one_sentence_at_the_failing_expression(source, line, col, phrase):
    program = parse(source)
    with pytest.raises(SnippetError) as info:
        interpret(program)
    err = info.value
    assert (err.line, err.col) == (line, col), str(err)
    assert phrase in err.message
    assert "\n" not in err.message and len(err.message) <= 205
