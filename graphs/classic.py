"""The classic view: the same program drawn by `torchviz.make_dot`.

Students who know torchviz can compare its figure (op names and shapes only)
with ours. torchviz 0.0.3 does `from distutils.version import LooseVersion`
at import time, and distutils left the standard library in Python 3.12, so a
minimal stand-in is registered when the real one is missing. torchviz uses it
for one comparison only: whether torch is older than 1.9.
"""

from __future__ import annotations

import contextlib
import functools
import re
import sys
import types
import warnings

import torch
from torch.overrides import TorchFunctionMode

from graphs.capture import capture_program
from graphs.errors import ProgramError, clean_message
from graphs.walk import walk


@functools.total_ordering
class LooseVersion:
    """Just enough of distutils' LooseVersion: compares dotted versions part by part."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.key = tuple(
            (0, int(part), "") if part.isdigit() else (1, 0, part)
            for part in re.findall(r"\d+|[a-z]+", text.lower())
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LooseVersion) and self.key == other.key

    def __lt__(self, other: LooseVersion) -> bool:
        return self.key < other.key

    def __repr__(self) -> str:
        return f"LooseVersion({self.text!r})"


def ensure_distutils() -> None:
    """Register `distutils.version.LooseVersion` for torchviz when Python lacks distutils."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            from distutils.version import LooseVersion as _real  # noqa: F401
        return
    except ImportError:
        pass
    package = types.ModuleType("distutils")
    version = types.ModuleType("distutils.version")
    version.LooseVersion = LooseVersion
    package.version = version
    sys.modules["distutils"] = package
    sys.modules["distutils.version"] = version


def torchviz_make_dot():
    """`torchviz.make_dot`, imported after the distutils guard."""
    ensure_distutils()
    from torchviz import make_dot

    return make_dot


class KeepSaved(TorchFunctionMode):
    """Forces `retain_graph=True` on every backward call of the program.

    torchviz's `show_attrs` reads each node's saved tensors after the program
    ran, and a plain `backward()` frees them. Keeping them changes no value or
    gradient, only when memory is released.
    """

    BACKWARDS = (torch.Tensor.backward, torch.autograd.backward, torch.autograd.grad)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = dict(kwargs or {})
        if getattr(func, "__wrapped__", func) in self.BACKWARDS:  # the Recorder wraps two of them
            kwargs["retain_graph"] = True
        return func(*args, **kwargs)


def classic_dot(source: str, show_attrs: bool = False) -> str:
    """Run a program with a Recorder and draw its graph with torchviz; returns DOT source.

    Leaves the program named are passed to torchviz as `params`, so its blue
    boxes carry the same names as ours. Raises `ProgramError` on bad input.
    """
    recorder, _ = capture_program(source, lambda _: KeepSaved() if show_attrs else contextlib.nullcontext())
    roots = recorder.roots()
    if not roots:
        raise ProgramError("the program has no tensor that requires grad, so there is no graph to draw")
    params = recorder.named_leaves()
    target = roots[0] if len(roots) == 1 else tuple(roots)
    make_dot = torchviz_make_dot()
    depth = sum(1 for _ in walk(root.grad_fn for root in roots))
    with warnings.catch_warnings(), recursion_room(depth):
        # setuptools' LooseVersion warns on every make_dot call
        warnings.filterwarnings("ignore", "distutils Version classes", DeprecationWarning)
        try:
            return make_dot(target, params=params, show_attrs=show_attrs).source
        except RuntimeError as exc:  # a saved tensor the program changed in place since (optimizer.step())
            raise ProgramError(f"torchviz could not read a saved attribute: {clean_message(exc)}") from None


@contextlib.contextmanager
def recursion_room(nodes: int):
    """torchviz walks the graph recursively, a few frames per node on the
    deepest path: allow that many (a chain of `nodes` at worst) while it runs."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(max(before, 4 * nodes + 1000))
    try:
        yield
    finally:
        sys.setrecursionlimit(before)
