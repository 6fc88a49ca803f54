"""Which `nn.Module` call was running when each op was made: the module stack.

Folding (graphs.views.folding) groups the grad_fn graph by module, so capture has
to know, for every op, the innermost module whose `forward` made it, and
which call of that module it was (an RNN cell is called once per step). Two
global module hooks, installed for the Recorder's lifetime, push a call on
entry and pop it on exit; the Recorder reads the top when it first sees an
op (`top`, an index into `calls`), so a node costs one int.

Paths are `named_modules()` paths under the name the program bound the
module to (`net.fc1`), the same paths the naming pass gives parameters
(`net.fc1.weight`). A module is looked up when it is first called: by then
its owner is usually named (an outer module maps all of its submodules).
"""

from __future__ import annotations

import sys
import weakref

import torch
from torch.nn.modules import module as torch_module

from graphs.record.loops import LOOP_KINDS
from graphs.worker.program import PROGRAM_FILE


class ModuleStack:
    """The module calls of one program run, as `(path, call, class name, parent)`
    tuples in `calls` (parent: the index of the call it ran inside, or None).

    The hooks run on every module call of the program, so they do little:
    `top` is the innermost recorded call (what an op made now belongs to),
    the stack only keeps the tops to return to, and a module's path is found
    once (keyed by id, checked against a weak reference: ids of dead modules
    are reused).
    """

    def __init__(self) -> None:
        self.recording = False  # set by the Recorder: off while capture is quiet, no call is kept then
        self.calls: list[tuple[str, int, str, int | None]] = []
        self.top: int | None = None
        self._saved: list[int | None] = []
        self._paths: dict[int, tuple[weakref.ref, str | None]] = {}
        self._counts: dict[str, int] = {}
        self._taken: dict[str, weakref.ref] = {}  # path -> the module holding it
        self._handles: list = []

    def __enter__(self) -> ModuleStack:
        self._register()
        return self

    def __exit__(self, *exc) -> None:
        self._remove()

    def quiet(self, on: bool) -> None:
        """A quiet stretch of a long loop (graphs.worker.loops) keeps no call, so the
        hooks come off while no module is running: each module call costs them
        two Python calls, and any global hook puts every call on torch's slow
        path. They go back on when the stretch ends."""
        if on and not self._saved:
            self._remove()
        elif not on and not self._handles:
            self._register()

    def _register(self) -> None:
        self._handles = [
            torch_module.register_module_forward_pre_hook(self._push),
            # always_call: a forward that raises still pops its call.
            torch_module.register_module_forward_hook(self._pop, always_call=True),
        ]

    def _remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def name_root(self, module: torch.nn.Module) -> None:
        """`capture(model, ...)`: the model's submodules are named as its
        parameters are (`0`, `fc1`), and the model itself is the graph."""
        for path, sub in module.named_modules():
            self._name(sub, path or None)

    def _push(self, module: torch.nn.Module, _args) -> None:
        self._saved.append(self.top)
        if not self.recording:
            return
        known = self._paths.get(id(module))
        if known is None or known[0]() is not module:
            self._find(module)
            known = self._paths[id(module)]
        path = known[1]
        if path is None:  # a capture() root: its ops are outside any module
            return
        call = self._counts.get(path, 0)
        self._counts[path] = call + 1
        self.calls.append((path, call, type(module).__name__, self.top))
        self.top = len(self.calls) - 1

    def _pop(self, _module, _args, _output) -> None:
        if self._saved:
            self.top = self._saved.pop()

    def _find(self, module: torch.nn.Module) -> None:
        """Name `module` and its submodules: by a name the program bound it (or
        a module owning it) to, else under the running module by its class.
        A path whose module is gone is given again: a module made anew in
        each iteration (`nn.MSELoss()(pred, y)`) keeps one path, so its calls
        are numbered 0, 1, 2 and fold like a named module's."""
        for name, value in _program_names():
            if isinstance(value, torch.nn.Module) and not self._known(value):
                for path, sub in value.named_modules(prefix=name):
                    self._name(sub, path)
            if self._known(module):
                return
        base = type(module).__name__
        owner = self._running_module()
        if owner is not None:
            base = f"{self.calls[owner][0]}.{base}"
        path, extra = base, 1
        while path in self._taken and self._taken[path]() is not None:
            extra += 1
            path = f"{base}_{extra}"
        for sub_path, sub in module.named_modules(prefix=path):
            self._name(sub, sub_path)

    def _running_module(self) -> int | None:
        """The innermost module call running (a loop iteration is no owner: a
        module made in a loop's body belongs where the loop is)."""
        top = self.top
        while top is not None and self.calls[top][2] in LOOP_KINDS:
            top = self.calls[top][3]
        return top

    def _known(self, module: torch.nn.Module) -> bool:
        known = self._paths.get(id(module))
        return known is not None and known[0]() is module

    def _name(self, module: torch.nn.Module, path: str | None) -> None:
        if not self._known(module):
            self._paths[id(module)] = (weakref.ref(module), path)
            if path is not None:
                self._taken[path] = weakref.ref(module)


def _program_names():
    """(name, value) bound in the running program: its globals first, then
    each of its frames' locals from the outermost in (`self` left out: a
    method's `self` is named by whoever holds the object)."""
    frames = []
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename == PROGRAM_FILE:
            frames.append(frame)
        frame = frame.f_back
    if not frames:
        return
    yield from list(frames[-1].f_globals.items())
    for frame in reversed(frames):
        yield from ((name, value) for name, value in list(frame.f_locals.items()) if name != "self")
