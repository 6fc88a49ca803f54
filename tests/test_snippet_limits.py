"""Resource bombs are refused, before torch allocates anything, with a message
that names the limit.  (A size refusal says "would make": it was predicted, not
observed after the allocation.)"""
from __future__ import annotations

import dataclasses

import pytest

from graphs.snippet import Limits, SnippetError, interpret, parse

# Refused by `parse` alone: the text shows the problem.
STATIC_BOMBS = [
    ("x = torch.ones(10**5, 10**5)", "10000000000 elements; the limit is 1000000"),
    ("x = torch.zeros((10**4, 10**4))", "100000000 elements"),
    ("x = torch.randn(1000, 1000, 2)", "2000000 elements"),
    ("x = torch.eye(10**5)", "10000000000 elements"),
    ("x = torch.full((2000, 1000), 1.0)", "2000000 elements"),
    ("x = torch.arange(0, 10**6 * 10, 1)", "10000000 elements"),
    ("x = torch.linspace(0, 1, 10**6 * 2)", "2000000 elements"),
    ("m = nn.Linear(10**4, 10**4)", "100000000 elements"),
    ("x = 2**10**10", "power towers"),
    ("x = 2 ** -(3 ** 4)", "power towers"),
    ("x = 3 ** 1000", "exponent 1000 is larger than the limit of 64"),
    ("x = 10000000", "larger than the limit of 1000000"),
    ("x = [" + ", ".join(["1"] * 1001) + "]", "1001 elements; the limit is 1000"),
    ("x = [[" + "], [".join(["1, 2"] * 501) + "]]", "1002 elements"),
    ("x = " + "[" * 40 + "1" + "]" * 40, "nested more than 30 levels"),
    ("x = " + "-(" * 40 + "1" + ")" * 40, "nested more than 30 levels"),
    ("x = " + "(" * 1000 + "1" + ")" * 1000, "too many nested parentheses"),
    ("x = 1\n" * 2000, "the limit is 8192 bytes"),
    ("x=1\n" * 700, "more than 2000 syntax nodes"),
    ("for i in range(10**9):\n    pass", "would run 1000000000 times; the limit is 1000"),
    ("for i in range(100):\n    for j in range(11):\n        pass", "would run 1100 times"),
    ("for i in range(0, 2000, 1):\n    pass", "would run 2000 times"),
]

# Only the running program shows these; they must stop before allocating.
RUNTIME_BOMBS = [
    ("x = torch.ones(1)\ny = x.expand(10**4, 10**4, 10).sum()", "1000000000 elements"),
    ("n = 10**5\nx = torch.ones(n, n)", "10000000000 elements"),
    ("a = torch.ones(10**6, 1)\nb = torch.ones(1, 10**6)\nc = a @ b", "1000000000000 elements"),
    ("a = torch.ones(10**6, 1)\nb = torch.ones(1, 10**6)\nc = torch.mm(a, b)", "1000000000000 elements"),
    ("a = torch.ones(10**6, 1)\nb = torch.ones(10**6)\nc = a + b", "1000000000000 elements"),
    ("a = torch.ones(10**6, 1)\nb = torch.ones(10**6)\nc = a < b", "1000000000000 elements"),
    ("a = torch.ones(10**6, 1)\nb = torch.ones(10**6)\nc = torch.max(a, b)", "1000000000000 elements"),
    ("a = torch.ones(10**6, 1)\nc = F.linear(a, torch.ones(1000, 1))", "1000000000 elements"),
    ("a = torch.ones(10**6, 1)\nm = nn.Linear(1, 1000)\nc = m(a)", "1000000000 elements"),
    ("x = torch.ones(1000, 1000)\ny = x.repeat(10, 10)", "100000000 elements"),
    ("x = torch.ones(1000, 1000)\ni = torch.zeros(10**5, dtype=torch.long)\ny = x[i]",
     "100000000 elements"),
    ("x = torch.ones(1000, 1000)\ny = torch.cat([x, x])", "2000000 elements"),
    ("n = 10**6 * 10\nx = torch.arange(n)", "10000000 elements"),
    ("x = torch.ones(1000, 1000)\nfor i in range(20):\n    y = x * 2", "more than 10000000 tensor elements"),
    ("n = 10**5\nfor i in range(n):\n    pass", "would run 100000 times"),
    ("n = 40\nfor i in range(n):\n    for j in range(n):\n        pass", "would run 1600 times"),
    ("x = torch.ones(1)\nfor i in range(1000):\n    for j in range(1):\n" + "        x = x + 1\n" * 30,
     "more than 20000 steps"),
    ("n = 2\nfor i in range(10):\n    n = n * n", "grew beyond the limit"),
    ("a = 10**6\nb = a * a * a * a", "grew beyond the limit"),
    ("e = 100\nx = 2 ** e", "exponent 100 is larger than the limit of 64"),
    ("e = 10\nx = e ** e\nx **= x", "exponent 10000000000 is larger"),
    ("x = torch.ones(1000, 1000)\nl = [x, x, x, x, x, x, x, x, x, x]\nfor i in range(1000):\n    print(l)",
     "printed more than 100000 characters"),
    ("x = round(2, 1000)", "takes one number or tensor"),
    # work: in-place updates, reductions and backward passes create little but read a lot
    ("x = torch.ones(1000, 1000)\nfor i in range(1000):\n    x.add_(1)", "process more than 200000000"),
    ("x = torch.ones(1000, 1000)\nfor i in range(1000):\n    s = x.sum()", "process more than 200000000"),
    ("x = torch.ones(1000, 1000, requires_grad=True)\ny = (x * 2).sum()\n"
     "for i in range(1000):\n    y.backward(retain_graph=True)", "process more than 200000000"),
    # sizes given as one-element tensors are read the way torch reads them
    ("n = torch.tensor(100000)\nx = torch.ones(n, n)", "10000000000 elements"),
    ("n = torch.tensor(100000)\nx = torch.eye(n)", "10000000000 elements"),
    ("n = torch.tensor(10**6)\nx = torch.ones(2).repeat(n)", "2000000 elements"),
    ("n = torch.tensor(10**6)\nx = torch.ones(2, 1).expand(2, n)", "2000000 elements"),
    ("x = torch.ones(5)\ny = torch.ones(x)", "could not be worked out before making it"),
    # index lists nested inside lists still count every position they select
    ("x = torch.ones(1, 10**6)\ny = x[[[" + ", ".join(["0"] * 1000) + "]]]", "1000000000 elements"),
    ("x = torch.ones(1, 1000)\ni = torch.zeros(1000, 1, dtype=torch.long)\ny = x[[i, i.t()]]",
     "elements; the limit is 1000000"),
]


@pytest.mark.parametrize("source, phrase", STATIC_BOMBS)
def test_static_bombs_are_refused_by_parse(source, phrase):
    with pytest.raises(SnippetError) as info:
        parse(source)
    assert phrase in str(info.value)


@pytest.mark.parametrize("source, phrase", RUNTIME_BOMBS)
def test_runtime_bombs_stop_before_allocating(source, phrase):
    program = parse(source)
    with pytest.raises(SnippetError) as info:
        interpret(program)
    assert phrase in str(info.value)
    assert info.value.line is not None


def test_limits_are_configurable_per_parse():
    small = Limits(max_tensor_elements=10, max_steps=50)
    with pytest.raises(SnippetError, match="the limit is 10$"):
        parse("x = torch.ones(11)", small)
    program = parse("x = torch.ones(10)\nfor i in range(30):\n    x = x + 1", small)
    with pytest.raises(SnippetError, match="more than 50 steps"):
        interpret(program)
    # interpret may be given other limits than the program was checked with
    ns = interpret(program, None, dataclasses.replace(small, max_steps=1000)).namespace
    assert ns["x"].tolist() == [31.0] * 10


def test_programs_just_inside_the_limits_run():
    source = ("x = torch.ones(1000, 1000)\n"
              "for i in range(10):\n    for j in range(100):\n        k = i * j\n"
              "y = (x * 2).sum()\nz = 2 ** 62 - 1\nw = [" + ", ".join(["1"] * 1000) + "]")
    ns = interpret(parse(source)).namespace
    assert ns["y"].item() == 2_000_000 and ns["k"] == 9 * 99 and ns["z"] == 2**62 - 1
    assert len(ns["w"]) == 1000


def test_default_limits_are_the_documented_ones():
    limits = Limits()
    assert (limits.max_source_bytes, limits.max_nodes, limits.max_depth) == (8192, 2000, 30)
    assert (limits.max_int_literal, limits.max_exponent, limits.max_literal_elements) == (10**6, 64, 1000)
    assert (limits.max_loop_iterations, limits.max_steps) == (1000, 20_000)
    assert (limits.max_tensor_elements, limits.max_total_elements) == (1_000_000, 10_000_000)
    assert (limits.max_work, limits.max_print_chars, limits.max_int_value) == (200_000_000, 100_000, 2**63)
