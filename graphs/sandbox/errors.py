"""The errors a sandboxed run can end with, as the one error type callers show.

`SandboxError` is a `ProgramError`, so the app and the CLI print a killed or
crashed worker exactly like a failing program: one plain sentence, with a
line and column when one is known.
"""

from __future__ import annotations

import os
import signal

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
