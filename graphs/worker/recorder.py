"""The Recorder: what one program run made, kept while it runs.

It holds each op's forward value and site, the names the program gave its
tensors, the backward passes (a window of them in a long loop), optimizer
steps and module calls; `record()` turns that into the record
(graphs.worker.build). The mode that feeds it is graphs.worker.observer.
"""

from __future__ import annotations

import functools
import sys
import weakref
from collections import deque
from collections.abc import Callable
from contextlib import ExitStack

import torch

from graphs.errors import ProgramError
from graphs.record.model import GraphRecord, Loss
from graphs.worker import observer
from graphs.worker.build import build_record
from graphs.worker.cuts import Cuts
from graphs.worker.hooks import PassHooks, storage
from graphs.worker.loops import Loops
from graphs.worker.modulestack import ModuleStack
from graphs.worker.observer import Observer, call_line, install, program_line, top_mode
from graphs.worker.optimizers import OptimizerSteps
from graphs.worker.program import PROGRAM_FILE, explorer_failure, program_call
from graphs.worker.reporting import Reporter
from graphs.worker.spread import Spread
from graphs.worker.tensordata import Kept

KEEP_FIRST = KEEP_LAST = 3  # passes kept in full at each end of a long program


def _forget(recorder: weakref.ref, key: int, _dead: weakref.ref) -> None:
    """A labelled leaf died: its Recorder, if still alive, forgets its id."""
    if (alive := recorder()) is not None:
        alive._forget(key)


# Frames of `nn.Module.__call__`: an op run inside a library module was not
# written by the program, so it gets the program's line but not its text.
_MODULE_CALLS = frozenset({"_call_impl", "_wrapped_call_impl"})


class Recorder:
    """Collects forward values, names and backward passes of one program run.

    A long training loop makes thousands of passes, each over a fresh graph.
    The first `keep_first` and the last `keep_last` passes are kept in full,
    and in a counted loop up to `spread` log-spaced between them (graphs.worker.spread);
    the others leave only their loss (`losses`), and what only they needed
    (their hooks, and the values, names and sites of the ops made for them)
    is dropped as soon as they leave the window, so memory stays flat.
    A `for` loop of known length goes further: its middle iterations run
    with no capture at all, since their passes cannot be kept (at_iteration).

    Nothing the Recorder owns holds it strongly (its mode, loops, optimizer
    steps and weak-reference callbacks hold a proxy or a weak reference), so
    reference counting frees it, and every tensor it held, the moment its last
    reference goes. In a cycle it waited for the collector's next full sweep,
    and the fresh memory the next capture took cost it page faults (measured
    in fresh processes: the transformer's capture 1.84x its plain run, 1.46x without).
    """

    def __init__(
        self,
        keep_first: int = KEEP_FIRST,
        keep_last: int = KEEP_LAST,
        program: bool = False,
        spread: int = 0,
    ) -> None:
        self._mode = Observer(self)
        self.program = program  # ops get line and text from its frames (a callable has none)
        self.keep_first, self.keep_last = keep_first, keep_last
        self.spread = Spread(keep_first, keep_last, spread)  # middle passes kept in full
        self.values: dict[object, Kept] = {}  # grad_fn -> its output
        self.sites: dict[object, tuple] = {}  # grad_fn -> (code, lasti, inside a module) of the call
        self.labels: dict[object, str] = {}  # grad_fn or leaf tensor key -> name
        self.explicit: set[object] = set()
        # grad_fn -> the module call that made it (an index into `modules.calls`), for folding.
        self.made_in: dict[object, int] = {}
        self.modules = ModuleStack()  # recording while observing: see _apply
        # Labelled leaves, held weakly: a name must not keep every step's
        # input alive, and a dead tensor's id (reused later) loses its name.
        self.tensors: dict[int, weakref.ref] = {}
        self.passes: list[PassHooks] = []  # the kept ones, in program order
        self.losses: list[Loss] = []  # every pass
        self.steps = OptimizerSteps(self)
        self.cuts = Cuts(observer.program_line)  # constants and detach()/no_grad() cuts
        self.leaf_lines: dict[int, int | None] = {}  # leaf tensor key -> its line
        # id(tensor) -> the names it has when the program ended (graphs.worker.naming.live_names)
        self.live: dict[int, list[str]] = {}
        self.last: torch.Tensor | None = None  # last tensor that requires grad
        self.loops = Loops(self)
        self.quiet = False  # running without capture: see at_iteration
        self.last_pass_quiet = False
        self.in_pass = False  # a quiet pass is running: see _backward
        # grad_fns and leaf keys whose gradient a hook of the program's receives: see note_hook
        self.hooked: set[object] = set()
        # The program's failure (ProgramError), once it failed: see record(). Weak: it holds us.
        self.failure: Callable[[], ProgramError | None] = lambda: None
        self._wanted = False  # observing, unless quiet (off while an optimizer steps)
        self.observing = False
        self._popped = True  # the mode is not on the stack
        self._made: list[object] = []  # grad_fns first seen since the last pass
        # (index, grad_fns made for it) of quiet passes, until the full path would have evicted them
        self._quiet_made: deque[tuple[int, list[object]]] = deque()
        self.unsettled: list[PassHooks] = []  # passes whose leaf grads are held, not copied
        self.unsettled_storages: set[int | None] = set()
        self._still_used: set[object] | None = None  # nodes of the kept passes, while they stay the same
        self.reporter: Reporter | None = None  # progress and stop requests (graphs.worker.reporting)

    def __enter__(self) -> Recorder:
        install(True)
        self.modules.__enter__()
        self.steps.__enter__()
        self.observe(True)
        return self

    def __exit__(self, *exc) -> None:
        """Undo `__enter__`, last step first. Each step runs even when one
        before it failed: torch's `backward` must never stay wrapped, nor a
        global hook or the mode stay behind, for whatever runs next."""
        with ExitStack() as undo:
            undo.callback(install, False)
            undo.callback(self.modules.__exit__, *exc)
            undo.callback(self.steps.__exit__, *exc)
            undo.callback(self.observe, False)
            undo.callback(self._set_quiet, False)

    def observe(self, on: bool) -> None:
        """Switch observing on or off. Off while an optimizer steps: its many
        small in-place ops under no_grad make no graph, and routing them
        through Python tripled a training loop's time."""
        self._wanted = on
        self._apply()

    def settle(self) -> None:
        """Copy the leaf gradients of finished passes before they may change (PassHooks.settle)."""
        if not self.unsettled:
            return
        for hooks in self.unsettled:
            hooks.settle()
        self.unsettled.clear()
        self.unsettled_storages.clear()

    def settle_if_written(self, *targets) -> None:
        """Settle before an in-place op (or `out=`) writes into a held leaf gradient."""
        for target in targets:
            tensors = target if isinstance(target, (list, tuple)) else (target,)
            for tensor in tensors:
                if isinstance(tensor, torch.Tensor) and storage(tensor) in self.unsettled_storages:
                    self.settle()
                    return

    def at_iteration(self) -> None:
        """Called when a counted loop starts an iteration or ends (graphs.worker.loops):
        run quietly -- no mode on the stack, no hooks, no copies -- while at
        least `keep_last` passes, plus one iteration's worth as a margin, are
        certain to follow this iteration, and the first `keep_first` passes
        are made. Every pass of a quiet iteration is then one the full path
        would have dropped when it left the window, so the record is the
        same; only its loss (and the count of optimizer steps) is kept. The
        mode is back on at the start of the iteration whose passes may be kept
        (the tail's, with a margin that catches a graph built one iteration
        earlier, or the spread's), so their values, names and sites are seen."""
        finishing = self.boundary(iteration=True)
        certain, margin = self.loops.ahead()
        tail = self.keep_last > 0 and certain >= self.keep_last + margin
        spread = self.spread.due(self.pass_count, margin, certain)
        self._set_quiet(tail and self.pass_count >= self.keep_first and not finishing and not spread)

    def boundary(self, iteration: bool = False) -> bool:
        """A pass or a counted loop's iteration starts: report when due, stop if asked
        (graphs.worker.reporting); True while a stop waits for this iteration's end."""
        if self.reporter is None:
            return False
        self.reporter.at_boundary(self, iteration)
        return self.reporter.finishing

    def _set_quiet(self, quiet: bool) -> None:
        if quiet == self.quiet:
            return
        self.settle()  # a quiet stretch watches no in-place op
        self.quiet = quiet
        self.modules.quiet(quiet)
        if quiet:
            observer.quiet.append(self)
        else:
            observer.quiet.remove(self)
        self._apply()

    def _apply(self) -> None:
        """Put the mode on the stack or take it off, as wanted and not quiet.
        It leaves the stack when it is on top; under another mode (the
        classic view's) it stays and lets calls through untouched."""
        on = self._wanted and not self.quiet
        if on == self.observing:
            return
        self.observing = self.modules.recording = on
        if on:
            if self._popped:
                self._mode.__enter__()
            self._popped = False
        elif top_mode() is self._mode:
            self._mode.__exit__(None, None, None)
            self._popped = True

    @property
    def line(self) -> int | None:
        """The program line running now (its innermost frame), if any."""
        return program_line()

    @property
    def pass_count(self) -> int:  # passes made so far, kept or not
        return len(self.losses)

    def label(self, tensor: torch.Tensor, text: str, explicit: bool) -> None:
        """Name the node that produced `tensor` (or the leaf itself). A name the
        program assigned beats an expression; otherwise the first label wins, so
        `y * y` keeps its own text when a larger expression containing it is labelled later."""
        fn = tensor.grad_fn
        if self.quiet and fn is not None and fn not in self.labels and fn not in self.values:
            return  # made in a quiet iteration: its pass is never kept (leaves are still named)
        key = self._key(tensor)
        if key in self.explicit or (key in self.labels and not explicit):
            return
        if fn is None and key not in self.labels and self.program:
            self.leaf_lines[key] = self.line  # a leaf's line: where the program first named it
        self.labels[key] = text
        if explicit:
            self.explicit.add(key)

    def roots(self) -> list[torch.Tensor]:
        """The tensors the kept passes backpropagated from, or the last one requiring grad."""
        roots: list[torch.Tensor] = []
        for hooks in self.passes:
            roots.extend(t for t in hooks.roots if all(t is not r for r in roots))
        if not roots and self.last is not None:
            roots.append(self.last)
        return roots

    def record(self, prints: list[str] | tuple = (), source: str | None = None) -> GraphRecord:
        """The record of the run. A failure of ours while building it is the
        explorer's error, with what the program printed; building the partial
        graph of a program that failed, it is that program's own error again,
        now without a graph (its error matters more than our drawing)."""
        try:
            return build_record(self, list(prints), source, self._mode.watch.origin)
        except Exception as exc:
            failure = self.failure()
            if failure is not None:
                raise failure  # noqa: B904 (its own cause, what it failed of, stays)
            error = explorer_failure(exc, None, "drawing the graph")
            error.prints = list(prints)
            raise error from exc

    def named_leaves(self) -> dict[str, torch.Tensor]:
        """Leaf tensors that require grad, by the name the program gave them."""
        return {self.labels[id(tensor)]: tensor for tensor in self.leaves()}

    def leaves(self) -> list[torch.Tensor]:
        """The named leaf tensors that require grad and are still alive."""
        alive = [(key, ref()) for key, ref in self.tensors.items()]
        return [
            t for key, t in alive if key in self.labels and t is not None and t.is_leaf and t.requires_grad
        ]

    def name_of(self, key: object) -> str | None:
        return self.labels.get(key)

    def _key(self, tensor: torch.Tensor) -> object:
        if tensor.grad_fn is not None:
            return tensor.grad_fn
        key = id(tensor)
        if key not in self.tensors:
            self.tensors[key] = weakref.ref(tensor, functools.partial(_forget, weakref.ref(self), key))
        return key

    def _forget(self, key: object) -> None:
        self.tensors.pop(key, None)  # type: ignore[call-overload]
        self.labels.pop(key, None)
        self.explicit.discard(key)
        self.values.pop(key, None)
        self.sites.pop(key, None)
        self.cuts.forget(key)
        self.hooked.discard(key)
        self.leaf_lines.pop(key, None)
        self.made_in.pop(key, None)

    def note_hook(self, tensor: torch.Tensor) -> None:
        """The program hooks `tensor`'s gradient (`register_hook`). A hook may
        change what arrives in place (`g.mul_(2)`), and what arrived is held,
        not copied: the passes copy what arrives at this node instead
        (PassHooks), so the record still shows it as it arrived. Keyed like
        names are, so a hooked tensor's key goes when the tensor or its pass does."""
        if tensor.requires_grad:
            self.hooked.add(self._key(tensor))

    def seen(self, out, args) -> None:
        if self.reporter is not None and self.reporter.stop_requested:
            self.reporter.stop_here(self, iteration=False)  # a loop of ops alone stops too
        # args[0] first, so that the op's own result is `last`.
        if args and isinstance(args[0], torch.Tensor) and args[0] is not out:
            self._keep(args[0])  # in-place ops and index assignment rewrite args[0]
        if isinstance(out, torch.Tensor):
            self._keep(out)
        elif isinstance(out, (tuple, list)):
            for item in out:
                if isinstance(item, torch.Tensor):
                    self._keep(item)

    def _keep(self, tensor: torch.Tensor) -> None:
        fn = tensor.grad_fn
        if fn is not None and fn not in self.values:
            self.values[fn] = Kept(tensor)
            self._made.append(fn)
            if self.modules.top is not None:
                self.made_in[fn] = self.modules.top
            if self.program:
                self._site(fn)
        if tensor.requires_grad:
            self.last = tensor

    def _site(self, fn) -> None:
        """Remember where in the program `fn` was made: the innermost program
        frame and its instruction (`co_positions` turns it into a source span)."""
        frame = sys._getframe(3)
        inside = False
        while frame is not None and frame.f_code.co_filename != PROGRAM_FILE:
            inside = inside or frame.f_code.co_name in _MODULE_CALLS
            frame = frame.f_back
        if frame is not None:
            self.sites[fn] = (frame.f_code, frame.f_lasti, inside)

    def run_pass(self, kind: str, func, args, kwargs):
        self.boundary()
        self.settle()
        line, index = call_line(), self.pass_count
        hooks = PassHooks(kind, func, args, kwargs, line, index, self.hooked, watch=self._mode.watch)
        self.losses.append(Loss(hooks.index, hooks.line, hooks.loss()))
        hooks.made, self._made = self._made, []
        self.passes.append(hooks)
        self._still_used = None
        with hooks:
            result = program_call(func, args, kwargs)
        if hooks.unsettled:
            self.unsettled.append(hooks)
            self.unsettled_storages |= hooks.storages()
        if kind == "grad":
            hooks.take_results(result)
            self.seen(tuple(result), ())
        self.last_pass_quiet = False
        self.spread.ran(hooks, self.values)  # within its budget (graphs.worker.spread)
        self._evict()
        return result

    def quiet_pass(self, func, root, args, kwargs):
        """A pass in a quiet stretch: its loss and line, then torch's own call."""
        self.boundary()
        self.settle()
        value = float(root.item()) if isinstance(root, torch.Tensor) and root.numel() == 1 else None
        self.losses.append(Loss(self.pass_count, call_line(), value))
        self._quiet_made.append((self.pass_count - 1, self._made))
        self._made = []
        self.last_pass_quiet = True
        self.in_pass = True
        try:
            result = program_call(func, args, kwargs)
        finally:
            self.in_pass = False
        self._evict()
        return result

    def _evict(self) -> None:
        """Drop the pass that just left the window of kept passes (the one
        `keep_last` before the newest), and what only it needed. A quiet
        pass was never kept: what goes is the names of its tensors and its
        optimizer steps, at the moment the full path would drop them."""
        gone_index = self.pass_count - 1 - self.keep_last
        quiet = bool(self._quiet_made) and self._quiet_made[0][0] == gone_index  # never kept, even if planned
        if gone_index < self.keep_first or (gone_index in self.spread.kept and not quiet):
            return
        if quiet:
            made = self._quiet_made.popleft()[1]
        else:
            made = self.passes.pop(next(i for i, p in enumerate(self.passes) if p.index == gone_index)).made
            self._still_used = None
        if made:
            if self._still_used is None:
                self._still_used = {fn for hooks in self.passes for fn in hooks.attrs}
            for fn in made:
                if fn not in self._still_used:
                    self._forget(fn)
        self.steps.evicted(gone_index)
