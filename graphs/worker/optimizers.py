"""Optimizer steps as events: which parameters moved, by how much, by which rule.

torch's global optimizer step hooks see every `optimizer.step()` of every
optimizer class, so the program needs nothing special: the pre-hook copies
the parameters, the post-hook compares. Like passes, only the steps next to
kept passes (the first few, the last few, and the first step after each pass
of a long loop's spread, graphs.worker.spread) are kept in full.
"""

from __future__ import annotations

import weakref
from typing import Protocol

import torch
from torch.optim.optimizer import register_optimizer_step_post_hook, register_optimizer_step_pre_hook

from graphs.record.model import OptimizerStep, ParamChange
from graphs.worker.spread import Spread

# A step's parameter is listed before and after up to this many entries: a
# lesson's few weights; a layer's matrix shows only how far it moved.
LISTED_PARAMETER = 16


class Watched(Protocol):
    """What optimizer steps report to and read from (the Recorder)."""

    quiet: bool
    last_pass_quiet: bool
    keep_first: int
    keep_last: int
    spread: Spread

    @property
    def pass_count(self) -> int: ...

    @property
    def line(self) -> int | None: ...

    def observe(self, on: bool) -> None: ...

    def settle(self) -> None: ...

    def name_of(self, key: object) -> str | None: ...


# Settings that say how torch runs the update, not what the update is.
_MECHANICS = {"foreach", "fused", "capturable", "differentiable"}


def rule(optimizer: torch.optim.Optimizer) -> str:
    """The update as a student reads it: written out for plain SGD, else the
    class with its learning rate and every setting that is switched on
    (zero, False and None settings are left out)."""
    group = optimizer.param_groups[0]
    settings = {key: value for key, value in group.items() if key != "params" and key not in _MECHANICS}
    plain = type(optimizer) is torch.optim.SGD and not any(
        settings.get(key) for key in ("momentum", "weight_decay", "nesterov", "maximize")
    )
    if plain:
        return f"w ← w − {_number(settings['lr'])}·grad"
    shown = ", ".join(
        f"{key}={_number(value)}"
        for key, value in settings.items()
        if value not in (None, False) or key == "lr"
    )
    return f"{type(optimizer).__name__}({shown})"


def _number(value: object) -> str:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, tuple):
        return "(" + ", ".join(_number(v) for v in value) + ")"
    return f"{value:g}" if isinstance(value, float) else str(value)


class _Step:
    """A step as it happened: copies of the moved parameters, before and
    after. Made into an `OptimizerStep` only if it is kept, when the record
    is built: most steps of a long loop are dropped, and comparing is work."""

    __slots__ = ("index", "line", "optimizer", "rule", "after_pass", "moved")

    def __init__(self, index, line, optimizer, rule, after_pass, moved):
        self.index, self.line, self.optimizer = index, line, optimizer
        self.rule, self.after_pass, self.moved = rule, after_pass, moved

    def event(self) -> OptimizerStep:
        changes = []
        for name, before, after in self.moved:
            small = after.numel() <= LISTED_PARAMETER
            changes.append(
                ParamChange(
                    name=name,
                    shape=list(after.shape),
                    change_norm=float((after - before).norm()),
                    before=before.tolist() if small else None,
                    after=after.tolist() if small else None,
                )
            )
        return OptimizerStep(
            index=self.index,
            line=self.line,
            optimizer=self.optimizer,
            rule=self.rule,
            after_pass=self.after_pass,
            changes=changes,
        )


class OptimizerSteps:
    """Counts every step and keeps the ones a kept pass is next to.

    The capture mode is switched off while the optimizer runs (unless it
    was given a closure, which runs forward and backward passes): its many
    small in-place ops under no_grad make no graph, and routing them
    through Python tripled a training loop's time.
    """

    def __init__(self, recorder: Watched):
        self.recorder = weakref.proxy(recorder)  # no cycle: see Recorder
        self.kept: list[_Step] = []
        self.count = 0
        self._before: list[tuple[torch.Tensor, torch.Tensor]] = []
        # id(parameter) -> (it, its version, a copy) after the last step: the
        # next step's "before" when nothing has changed the parameter since.
        self._after: dict[int, tuple[torch.Tensor, int, torch.Tensor]] = {}
        self._handles: list = []
        self._quiet = False  # this step follows a quiet pass

    def __enter__(self) -> OptimizerSteps:
        self._handles = [
            register_optimizer_step_pre_hook(self._pre),
            register_optimizer_step_post_hook(self._post),
        ]
        return self

    def __exit__(self, *exc) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def events(self) -> list[OptimizerStep]:
        # A quiet step's stand-in is always gone by now (its pass left the window).
        return [step.event() for step in self.kept if step.moved is not None]

    def _pre(self, optimizer, args, kwargs) -> None:
        # After a quiet pass nothing is observed or held: only a stand-in is made (_post).
        self._quiet = self.recorder.quiet and self.recorder.last_pass_quiet
        if self._quiet:
            return
        # `args` starts with the optimizer itself; a closure (LBFGS) runs passes inside step()
        closure = len(args) >= 2 or kwargs.get("closure") is not None
        if not closure:
            self.recorder.observe(False)
        self.recorder.settle()  # the step runs unobserved, and may write into a gradient
        # A closure computes the gradients inside step(): any parameter may get one.
        with torch.no_grad():
            self._before = [
                (p, self._copy(p))
                for group in optimizer.param_groups
                for p in group["params"]
                if p.grad is not None or closure and p.requires_grad
            ]

    def _copy(self, param: torch.Tensor) -> torch.Tensor:
        known, version, after = self._after.get(id(param), (None, None, None))
        return after if known is param and version == param._version else param.detach().clone()

    def _post(self, optimizer, args, kwargs) -> None:
        if self._quiet:
            self._stand_in()
            return
        try:
            self._keep(optimizer)
        finally:
            self.recorder.observe(True)

    def _keep(self, optimizer: torch.optim.Optimizer) -> None:
        rec = self.recorder
        with torch.no_grad():
            self._before = [(p, before) for p, before in self._before if p.grad is not None]
            moved = [(rec.name_of(id(p)), before, p.detach().clone()) for p, before in self._before]
        self._after = {
            id(p): (p, p._version, after) for (p, _), (_, _, after) in zip(self._before, moved, strict=True)
        }
        self._before = []
        last_pass = rec.pass_count - 1 if rec.pass_count else None
        self.kept.append(
            _Step(self.count, rec.line, type(optimizer).__name__, rule(optimizer), last_pass, moved)
        )
        self.count += 1
        self._trim()

    def _stand_in(self) -> None:
        """A step after a quiet pass: nothing is copied or compared, since the
        full path drops it when that pass leaves the window; it still takes
        its place in `kept` until then, so trimming works as it would have."""
        self._after.clear()
        self.kept.append(_Step(self.count, None, "", "", self.recorder.pass_count - 1, None))
        self.count += 1
        self._trim()

    def evicted(self, pass_index: int) -> None:
        """A pass left the window: its steps go too."""
        self.kept = [step for step in self.kept if step.after_pass != pass_index]

    def _trim(self) -> None:
        """At most the window's worth of steps at each end (a program may
        step many times after one pass), and between them the first step
        after each pass of the spread: the update that pass's gradients made.
        Called at each step, so only the step that just left the last few is
        looked at: the ones before it were trimmed already."""
        rec = self.recorder
        end = len(self.kept) - rec.keep_last
        if end <= rec.keep_first:
            return
        left = self.kept[end - 1]
        before = self.kept[rec.keep_first : end - 1] if left.after_pass in rec.spread.kept else None
        if before is not None and all(step.after_pass != left.after_pass for step in before):
            return
        del self.kept[end - 1]
