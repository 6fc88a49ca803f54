"""The classic view: the same program drawn by `torchviz.make_dot`.

Students who know torchviz can compare its figure (op names and shapes only)
with ours. The program runs in a worker, and what comes back is data, never
DOT text: `make_dot` builds its figure through a `RecordingDigraph`, which
keeps each `node()`/`edge()` call as a `ClassicNode`/`ClassicEdge`; the
server checks that data (`ClassicGraph.from_dict`: types, ids, hard limits,
colours from torchviz's palette) and writes the DOT itself
(`graphs.render.classic`). A forged or hostile label is then only text.

torchviz 0.0.3 does `from distutils.version import LooseVersion` at import
time, and distutils left the standard library in Python 3.12, so a minimal
stand-in is registered when the real one is missing. torchviz uses it for one
comparison only: whether torch is older than 1.9.
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

from graphs.errors import ProgramError, clean_message
from graphs.render.classic import OP_FILL, ClassicEdge, ClassicGraph, ClassicNode, classic_dot_from
from graphs.worker.capture import capture_program
from graphs.worker.walk import walk


class RecordingDigraph:
    """Stands in for `graphviz.Digraph` while `make_dot` runs, keeping each
    `node()`/`edge()` call, with its arguments as given, in torchviz's order.

    Recording the calls, rather than reading the `Digraph` make_dot returns,
    means no DOT text is ever parsed: a label is the string torchviz built,
    before Graphviz's quoting could turn it into markup."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.body: list[ClassicNode | ClassicEdge] = []  # make_dot's resize_graph counts it
        self.graph_attr: dict[str, str] = {}  # where resize_graph puts a size (ours: the writer's)

    def node(self, name: object, label: object = None, **attrs: object) -> None:
        fill = attrs.get("fillcolor")
        self.body.append(ClassicNode(str(name), str(name if label is None else label), str(fill or OP_FILL)))

    def edge(self, tail_name: object, head_name: object, **attrs: object) -> None:
        kind = "saved" if attrs.get("dir") == "none" else "view" if attrs.get("style") == "dotted" else "flow"
        self.body.append(ClassicEdge(str(tail_name), str(head_name), kind))

    def graph(self) -> ClassicGraph:
        """The calls as Graphviz reads them: a node stated twice keeps its
        first place and its last label and fill; an edge's end stated nowhere
        is a node showing its name."""
        nodes: dict[str, ClassicNode] = {}
        edges: list[ClassicEdge] = []
        for call in self.body:
            if isinstance(call, ClassicEdge):
                edges.append(call)
                nodes.setdefault(call.tail, ClassicNode(call.tail, call.tail))
                nodes.setdefault(call.head, ClassicNode(call.head, call.head))
            else:
                nodes[call.id] = call
        return ClassicGraph(list(nodes.values()), edges)


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


def recording_make_dot() -> types.FunctionType:
    """`make_dot` with `RecordingDigraph` for its `Digraph`: the same code,
    given a copy of its module's globals, so torchviz's module is left as it
    is (a thread drawing with the real make_dot meanwhile is not disturbed)."""
    make_dot = torchviz_make_dot()
    if "Digraph" not in make_dot.__globals__:
        raise RuntimeError("this torchviz builds its figure in a way the classic view does not know")
    scope = {**make_dot.__globals__, "Digraph": RecordingDigraph}
    return types.FunctionType(make_dot.__code__, scope, make_dot.__name__, make_dot.__defaults__)


class KeepSaved(TorchFunctionMode):
    """Forces `retain_graph=True` on every backward call of the program.

    torchviz reads each node's saved tensors after the program ran (for
    `show_attrs`, and a custom Function's `saved_tensors` even without it),
    and a plain `backward()` frees them. Keeping them changes no value or
    gradient, only when memory is released; a program that runs backward
    twice through one graph is drawn instead of failing, as the figure is
    of its graph, not of that mistake (the main view shows it).
    """

    BACKWARDS = (torch.Tensor.backward, torch.autograd.backward, torch.autograd.grad)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = dict(kwargs or {})
        if getattr(func, "__wrapped__", func) in self.BACKWARDS:  # the Recorder wraps two of them
            kwargs["retain_graph"] = True
        return func(*args, **kwargs)


def classic_graph(source: str, show_attrs: bool = False) -> ClassicGraph:
    """Run a program with a Recorder and capture what `torchviz.make_dot` draws of it.

    Leaves the program named are passed to torchviz as `params`, so its blue
    boxes carry the same names as ours. Raises `ProgramError` on bad input.
    """
    recorder, _ = capture_program(source, lambda _: KeepSaved())
    roots = recorder.roots()
    if not roots:
        raise ProgramError("the program has no tensor that requires grad, so there is no graph to draw")
    params = recorder.named_leaves()
    target = roots[0] if len(roots) == 1 else tuple(roots)
    make_dot = recording_make_dot()
    depth = sum(1 for _ in walk(root.grad_fn for root in roots))
    with warnings.catch_warnings(), recursion_room(depth):
        # setuptools' LooseVersion warns on every make_dot call
        warnings.filterwarnings("ignore", "distutils Version classes", DeprecationWarning)
        try:
            return make_dot(target, params=params, show_attrs=show_attrs).graph()
        except RuntimeError as exc:  # a saved tensor the program changed in place since (optimizer.step())
            raise ProgramError(f"torchviz could not read a saved attribute: {clean_message(exc)}") from None


def classic_data(source: str, show_attrs: bool = False) -> dict:
    """Worker-side: the classic graph as the plain data `ClassicGraph.from_dict` reads."""
    return classic_graph(source, show_attrs).to_dict()


def classic_dot(source: str, show_attrs: bool = False) -> str:
    """The classic view's DOT for a program run in this process, by the path a
    worker's answer takes, so the in-process and the sandboxed view cannot drift apart."""
    return classic_dot_from(classic_data(source, show_attrs))


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
