"""Capture: run a program, or any callable, under a Recorder.

`capture_program` compiles the program with the naming and loop-counting
passes (graphs.worker.naming, graphs.worker.loops) and runs it, telling its
errors from ours; `capture` applies a callable or `nn.Module` to inputs.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack

import torch

from graphs.errors import ProgramError
from graphs.record.model import GraphRecord
from graphs.worker.loopmarks import LOOP_ITERATION, LOOP_MARK, LoopMarks, mark_loops
from graphs.worker.loops import LOOP, LOOP_CALL, count_loops
from graphs.worker.naming import LABELLER, Namer, instrument, live_names
from graphs.worker.program import Outcome, compile_program, explorer_failure, run_code
from graphs.worker.recorder import Recorder
from graphs.worker.torchstate import torch_state

__all__ = ["Recorder", "capture", "capture_program"]


def capture_program(
    source: str,
    *around: Callable[[Recorder], AbstractContextManager],
    counted_loops: bool = True,
    spread: int = 0,
) -> tuple[Recorder, Outcome]:
    """Compile `source` with the naming pass and run it under a Recorder,
    inside the context managers `around(recorder)` makes (warnings, ...).
    `counted_loops=False` captures every pass in full (what tests compare with);
    `spread` is how many middle passes a counted loop keeps in full besides its
    head and tail: graphs.worker.spread.SPREAD for the scrubber over the run,
    which every front end asks for (graphs.worker.jobs.run_in_process); 0,
    head and tail only, for what needs no scrubber (the classic view's roots)."""
    code = compile_program(
        source, lambda tree: instrument(mark_loops(count_loops(tree) if counted_loops else tree))
    )
    recorder = Recorder(program=True, spread=spread)
    marks = LoopMarks(recorder.modules)  # each op's loop iteration, as a module call (loopmarks)
    try:
        with torch_state(), recorder, ExitStack() as stack:
            for make in around:
                stack.enter_context(make(recorder))
            outcome = run_code(
                code,
                {
                    LABELLER: Namer(recorder),
                    LOOP: recorder.loops.loop,
                    LOOP_CALL: recorder.loops.loop_call,
                    LOOP_MARK: marks.loop,
                    LOOP_ITERATION: marks.iteration,
                },
                tell_ours=True,
            )
            recorder.live = live_names(outcome.namespace)
    except ProgramError as err:
        err.recorder = recorder  # the graph up to the failing line (graphs.api draws it)
        recorder.failure = weakref.ref(err)
        raise
    except Exception as exc:  # setting up or taking down the capture: ours, never the program's
        raise explorer_failure(exc, None, "running the program") from exc
    return recorder, outcome


def capture(fn, *inputs, backward: bool = True) -> GraphRecord:
    """Capture any callable or `nn.Module` applied to `inputs`.

    Tensor inputs are named `input0`, `input1`, ...; a module's parameters by
    their qualified names (`0.weight`). Unless `fn` ran a backward pass
    itself, its output is backpropagated (with ones for non-scalar outputs),
    so every node gets a gradient.
    """
    with Recorder() as recorder:
        if isinstance(fn, torch.nn.Module):
            recorder.modules.name_root(fn)
            for name, param in fn.named_parameters():
                recorder.label(param, name, explicit=True)
        for i, tensor in enumerate(inputs):
            if isinstance(tensor, torch.Tensor):
                recorder.label(tensor, f"input{i}", explicit=True)
        out = fn(*inputs)
        if backward and not recorder.passes and isinstance(out, torch.Tensor) and out.requires_grad:
            recorder.label(out, "output", explicit=True)
            out.backward(torch.ones_like(out))
    return recorder.record()
