"""A worker's failure, told in one line: by the worker and by its caller.

The worker calls `describe` on whatever its call raised, a stranger's
exception included, so nothing there trusts the exception: its text may
raise, its causes may loop. The caller explains a worker that ended without
a readable result from its wait status (`from_status`). Either way the
caller raises a `SandboxError`, a `ProgramError`, so the app and the CLI
print a killed or crashed worker exactly like a failing program: one plain
sentence, with a line and column when one is known.
"""

from __future__ import annotations

import os
import signal
from typing import Any

from graphs.errors import ProgramError


class SandboxError(ProgramError):
    """The worker was stopped by a limit, stopped by itself, or could not be trusted."""


def from_status(status: int, cpu_s: int, memory_mb: int) -> SandboxError:
    """Explain a worker that ended without a readable result, from its wait status."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        if number == signal.SIGXCPU:
            return SandboxError(f"the program ran longer than {cpu_s} s of CPU time and was stopped")
        if number == signal.SIGKILL:  # not our timeout: the kernel's out-of-memory killer
            return SandboxError(f"the program used more than {memory_mb} MB of memory and was stopped")
        if number == signal.SIGSYS:  # the filter's answer to another architecture's system call
            return SandboxError("the program made a system call this server forbids and was stopped")
        return SandboxError(
            f"the worker stopped unexpectedly ({signal.Signals(number).name}); "
            "the program was not run to the end"
        )
    return SandboxError("the worker stopped unexpectedly; the program was not run to the end")


def describe(exc: BaseException) -> dict[str, Any]:
    """The error a worker sends for a call that raised."""
    if _out_of_memory(exc):
        return {"kind": "memory", "line": getattr(exc, "line", None), "col": getattr(exc, "col", None)}
    if isinstance(exc, ProgramError):
        return {
            "kind": "program",
            "message": exc.message,
            "line": exc.line,
            "col": exc.col,
            "prints": getattr(exc, "prints", []),
            # What the called function attached for its caller (a partial result), as JSON.
            "payload": getattr(exc, "payload", None),
        }
    detail = " ".join(_text(exc).split())[:300]  # one line: the client shows it as it is
    return {"kind": "crash", "message": f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__}


def _out_of_memory(exc: BaseException | None) -> bool:
    """True when the allocator hit RLIMIT_AS, however the error was wrapped."""
    for _ in range(8):  # a chain of causes is short; never walk it forever
        if exc is None:
            return False
        if isinstance(exc, MemoryError) or "can't allocate memory" in _text(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _text(exc: BaseException) -> str:
    """An exception's text, or nothing if its `__str__` raises (a program may define it so)."""
    try:
        return str(exc)
    except Exception:  # noqa: BLE001 (whatever the program's __str__ raised)
        return ""
