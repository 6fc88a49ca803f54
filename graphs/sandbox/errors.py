"""The errors a sandboxed run can end with, as the one error type callers show.

`SandboxError` is a `SnippetError`, so the app and the CLI print a killed or
crashed worker exactly like a refused program: one plain sentence, with a
line and column when one is known.
"""
from __future__ import annotations

import os
import signal
from typing import TYPE_CHECKING

from graphs.snippet import SnippetError

if TYPE_CHECKING:
    from graphs.sandbox.config import SandboxConfig


class SandboxError(SnippetError):
    """The worker was stopped by a limit, or stopped by itself."""

    def __init__(self, message: str, line: int | None = None, col: int | None = None) -> None:
        super().__init__(message, line=line, col=col)


def snippet_error(line: int | None, col: int | None, message: str) -> SnippetError:
    """Rebuild in the caller the `SnippetError` a worker reported."""
    return SnippetError(message, line=line, col=col)


def from_status(status: int | None, config: SandboxConfig) -> SandboxError:
    """Explain a worker that ended without sending a result."""
    if status is not None and os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        if number == signal.SIGXCPU:
            return SandboxError(f"the program ran longer than {config.cpu_s} s of CPU time and was stopped")
        if number == signal.SIGKILL:  # not our timeout: the kernel's out-of-memory killer
            return SandboxError(f"the program used more than {config.memory_mb} MB of memory and was stopped")
        return SandboxError(f"the worker stopped unexpectedly ({signal.Signals(number).name}); "
                            "the program was not run to the end")
    return SandboxError("the worker stopped unexpectedly; the program was not run to the end")
