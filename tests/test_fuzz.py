"""Fuzzing the snippet language: whatever the text, a result or a SnippetError.

Three sources of programs: random text, random mutations of the catalogue's
programs (close to valid, so they get deep into the interpreter), and random
programs built from a small grammar of the language (valid syntax, mostly
allowed operations, random shapes and values).  In-process runs find any
uncaught exception quickly; a smaller sample through the sandbox worker shows
no program hangs past the timeout or crashes the worker.
"""
from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.api import run_in_process, run_source
from graphs.catalogue import CATALOGUE
from graphs.sandbox import SandboxConfig, SandboxError
from graphs.snippet import SnippetError

FUZZ = settings(max_examples=200, deadline=5000, suppress_health_check=[HealthCheck.too_slow])
PROGRAMS = [entry.source for entry in CATALOGUE]

TOKENS = ["(", ")", "[", "]", ",", ":", ".", "=", "+", "-", "*", "/", "**", "@", "\n", "    ", "x", "w", "y",
          "torch", "torch.", "nn", "F.", "print", "lambda", "__class__", ".__dict__", "import os", "0", "1.5",
          "-1", "1e308", "10**6", "1000000", "True", "None", "'s'", ".grad", ".backward()", ".sum()", ".T",
          "requires_grad=True", "retain_graph=True", "create_graph=True", "out=x", "for i in range(3):",
          "with torch.no_grad():", "torch.ones(2, 2)", "torch.mm(", "torch.autograd.grad(", "[0]", "[:, 1]"]


def outcome(source: str) -> str:
    """Run in process; any exception other than SnippetError fails the test."""
    try:
        run_in_process(source)
    except SnippetError as error:
        assert error.message and "\n" not in str(error), repr(error.message)
        return "refused"
    return "ran"


@st.composite
def mutated(draw) -> str:
    source = draw(st.sampled_from(PROGRAMS))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(source)))
        choice = draw(st.integers(0, 3))
        if choice == 0:  # delete a span
            source = source[:at] + source[at + draw(st.integers(1, 20)):]
        elif choice == 1:  # insert a token
            source = source[:at] + draw(st.sampled_from(TOKENS)) + source[at:]
        elif choice == 2:  # duplicate a line
            lines = source.splitlines()
            index = draw(st.integers(0, max(0, len(lines) - 1)))
            source = "\n".join(lines[:index + 1] + lines[index:index + 1] + lines[index + 1:])
        else:  # replace a number
            source = source[:at] + draw(st.sampled_from(["0", "-3", "2.5", "1e-9", "100", "0.0"])) + source[at + 1:]
    return source


NAMES = ["x", "w", "y"]
shape = st.lists(st.integers(1, 3), min_size=0, max_size=2).map(lambda dims: ", ".join(map(str, dims)))
number = st.floats(-3, 3, allow_nan=False).map(lambda value: f"{value:.3f}")
leaf = st.one_of(st.sampled_from(NAMES), number,
                 shape.map(lambda s: f"torch.ones({s}, requires_grad=True)"),
                 shape.map(lambda s: f"torch.randn({s})"))


def extend(inner):
    return st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "@", "**"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(["torch.sigmoid", "torch.tanh", "torch.exp", "torch.relu", "torch.sum",
                                   "torch.mean", "torch.t", "F.softmax"]), inner).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(st.sampled_from(["torch.mm", "torch.matmul", "torch.add", "F.mse_loss"]), inner, inner)
        .map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        st.tuples(inner, st.sampled_from([".sum()", ".mean()", ".t()", ".T", "[0]", ".reshape(-1)", ".exp()",
                                          ".detach()", ".grad", ".pow(2)"])).map(lambda t: f"{t[0]}{t[1]}"),
    )


expression = st.recursive(leaf, extend, max_leaves=8)
statement = st.one_of(
    st.tuples(st.sampled_from(NAMES), expression).map(lambda t: f"{t[0]} = {t[1]}"),
    expression.map(lambda e: f"{e}.backward()"),
    expression.map(lambda e: f"print({e})"),
    st.tuples(st.sampled_from(NAMES), expression).map(lambda t: f"{t[0]}[0] = {t[1]}"),
    expression.map(lambda e: f"with torch.no_grad():\n    z = {e}"),
)
grammar_program = st.lists(statement, min_size=1, max_size=6).map(
    lambda lines: "import torch\nimport torch.nn.functional as F\nx = torch.ones(2, 2, requires_grad=True)\n"
                  "w = torch.randn(2, 2, requires_grad=True)\ny = torch.tensor([1.0, 2.0])\n" + "\n".join(lines))


@FUZZ
@given(st.text(max_size=300))
def test_random_text_is_refused_or_run(source):
    outcome(source)


@FUZZ
@given(mutated())
def test_mutated_catalogue_programs_are_refused_or_run(source):
    outcome(source)


def test_grammar_programs_are_refused_or_run():
    outcomes: list[str] = []

    @FUZZ
    @given(grammar_program)
    def check(source):
        outcomes.append(outcome(source))

    check()
    # A fuzzer that only meets refusals tests nothing: many programs must run.
    assert outcomes.count("ran") >= 10


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(mutated(), grammar_program))
def test_worker_never_hangs_or_crashes(source):
    limit = SandboxConfig.from_env().timeout_s
    started = time.monotonic()
    try:
        run_source(source)
    except SandboxError as error:
        pytest.fail(f"the worker was stopped: {error}")
    except SnippetError:
        pass
    assert time.monotonic() - started < limit + 30  # + the first fork server start
