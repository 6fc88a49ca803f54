"""sites: the exact source text of the op behind each grad_fn (`x * w` in
`x * w + b`), and each pass titled by its call as the program wrote it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from graphs.worker.capture import capture_program
from graphs.worker.sites import Sites, pass_titles

SOURCE = """import torch
x = torch.tensor([1.0, 2.0], requires_grad=True)
w = torch.tensor([3.0, 4.0], requires_grad=True)
b = torch.tensor([0.5, 0.5], requires_grad=True)
y = x * w + b
z = (x *
     w)
lin = torch.nn.Linear(2, 1)
out = lin(y)
long = x + w + b + x + w + b + x + w + b + x + w + b + x + w + b + x + w + b + x
def f(t):
    return t.exp()
e = f(z)
loss = y.sum() + z.sum() + out.sum() + long.sum() + e.sum()
loss.backward(retain_graph=True)
g, = torch.autograd.grad(loss, x,
                         retain_graph=True)
loss.backward(
    retain_graph=True)
def run(t):
    t.backward()
run(loss)
"""


@pytest.fixture(scope="module")
def captured():
    recorder, outcome = capture_program(SOURCE)
    return recorder, outcome.namespace, Sites(recorder.sites, SOURCE)


def test_op_inside_an_expression_gets_its_own_span(captured):
    _, ns, sites = captured
    add = ns["y"].grad_fn
    mul = add.next_functions[0][0]
    assert sites.span(add) == (5, "x * w + b")
    assert sites.span(mul) == (5, "x * w")


def test_span_over_several_lines_is_joined_on_one(captured):
    _, ns, sites = captured
    assert sites.span(ns["z"].grad_fn) == (6, "x * w")


def test_op_inside_a_library_module_gets_the_calls_line_only(captured):
    """nn.Linear's addmm was not written by the program: no text to show."""
    _, ns, sites = captured
    assert sites.span(ns["out"].grad_fn) == (9, None)


def test_op_in_a_program_function_gets_the_functions_line(captured):
    _, ns, sites = captured
    assert sites.span(ns["e"].grad_fn) == (12, "t.exp()")


def test_long_text_is_cut_to_max_text(captured):
    _, ns, sites = captured
    line, text = sites.span(ns["long"].grad_fn)
    full = SOURCE.splitlines()[9].removeprefix("long = ")
    assert line == 10 and len(full) > Sites.MAX_TEXT
    assert len(text) == Sites.MAX_TEXT
    assert text == full[: Sites.MAX_TEXT - 1] + "…"


def test_unknown_node_and_missing_source(captured):
    recorder, ns, sites = captured
    leaf = ns["y"].grad_fn.next_functions[1][0]
    assert sites.span(leaf) == (None, None)
    assert Sites(recorder.sites, None).span(ns["y"].grad_fn) == (5, None)


def test_pass_titles_are_the_calls_with_their_lines(captured):
    recorder, _, _ = captured
    assert [(run.kind, run.line) for run in recorder.passes] == [
        ("backward", 15),
        ("grad", 16),
        ("backward", 18),
        ("backward", 21),
    ]
    titles = pass_titles(SOURCE, recorder.passes)
    assert titles[0] == "loss.backward(retain_graph=True)  line 15"
    assert titles[1] == "autograd.grad(loss, x, retain_graph=True)  line 16"  # `torch.` left out
    # A call over two lines is one line of text (its line break a space).
    assert titles[2].startswith("loss.backward(") and titles[2].endswith("retain_graph=True)  line 18")
    assert "\n" not in titles[2] and "  " not in titles[2].removesuffix("  line 18")
    assert titles[3] == "t.backward()  line 21"  # the call inside the program's function


def test_pass_titles_without_source_or_line():
    passes = [SimpleNamespace(kind="backward", line=3), SimpleNamespace(kind="grad", line=None)]
    assert pass_titles(None, passes) == ["backward()  line 3", "grad()"]
    assert pass_titles("this is not ( python", passes) == ["backward()  line 3", "grad()"]
    assert pass_titles("x = 1\n\nout.backward()\n", passes) == ["out.backward()  line 3", "grad()"]


def test_pass_title_matches_the_call_of_its_kind_on_its_line():
    """Two passes of different kinds called on one line: each gets its own call's text."""
    source = "a.backward(); torch.autograd.grad(b, c)\n"
    passes = [SimpleNamespace(kind="grad", line=1), SimpleNamespace(kind="backward", line=1)]
    assert pass_titles(source, passes) == ["autograd.grad(b, c)  line 1", "a.backward()  line 1"]
