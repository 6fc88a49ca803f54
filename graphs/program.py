"""Run a program as the real Python it is, and turn its failure into one line.

The text is compiled under the filename `<program>` and its source is put in
`linecache`, so every frame of the user's code is recognisable (capture reads
each op's line and source span from those frames) and Python's own error
machinery can quote it. It runs with `exec` in a fresh `__main__` namespace
with the real builtins; only `print` is swapped for one that keeps what was
printed (bounded) for the page, since a worker's stdout is seen by nobody.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import linecache
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from types import CodeType, FrameType
from typing import Any

from graphs.errors import ProgramError

PROGRAM_FILE = "<program>"
MAX_PRINT_CHARS = 100_000
OUTPUT_CUT = "... (output cut)"
# Longer than graphs.errors' cap: torch's messages put their hint last
# ("... Specify retain_graph=True if you need to backward ... a second time").
_MAX_MESSAGE = 1000
# Names tutorials use without thinking; a NameError for one says how to get it.
_IMPORT_HINTS = {
    "torch": "import torch",
    "nn": "import torch.nn as nn",
    "F": "import torch.nn.functional as F",
    "np": "import numpy as np",
    "math": "import math",
    "optim": "import torch.optim as optim",
}


@dataclass
class Outcome:
    """What a run leaves behind besides the captured graph."""

    prints: list[str] = field(default_factory=list)
    namespace: dict[str, Any] = field(default_factory=dict)


class PrintBuffer:
    """`print` for the program: each call is one entry, the total bounded.

    Printing to an explicit `file=` is left to the real `print`.
    """

    def __init__(self, limit: int = MAX_PRINT_CHARS):
        self.entries: list[str] = []
        self.room = limit

    def print(
        self,
        *args: object,
        sep: str | None = " ",
        end: str | None = "\n",
        file: Any = None,
        flush: bool = False,
    ) -> None:
        if file is not None:
            builtins.print(*args, sep=sep, end=end, file=file, flush=flush)
            return
        text = io.StringIO()
        builtins.print(*args, sep=sep, end=end, file=text)  # print's own argument checks
        if self.room <= 0:
            return
        entry = text.getvalue().removesuffix("\n")
        if len(entry) > self.room:
            self.entries.extend([entry[: self.room], OUTPUT_CUT])
            self.room = 0
            return
        self.entries.append(entry)
        self.room -= len(entry)


def user_frame(frame: FrameType | None) -> FrameType | None:
    """The innermost frame of the program's own code at or above `frame`."""
    while frame is not None and frame.f_code.co_filename != PROGRAM_FILE:
        frame = frame.f_back
    return frame


def compile_program(source: str, transform: Callable[[ast.Module], ast.Module] | None = None) -> CodeType:
    """Bytecode for `source`, its tree rewritten by `transform` first;
    a syntax error becomes `line 3, col 5: SyntaxError: invalid syntax`."""
    linecache.cache[PROGRAM_FILE] = (len(source), None, source.splitlines(True), PROGRAM_FILE)
    try:
        tree = ast.parse(source, PROGRAM_FILE)
        return compile(tree if transform is None else transform(tree), PROGRAM_FILE, "exec")
    except SyntaxError as exc:
        raise ProgramError(f"{type(exc).__name__}: {exc.msg}", line=exc.lineno, col=exc.offset) from None
    except ValueError as exc:  # e.g. "source code string cannot contain null bytes"
        raise ProgramError(f"SyntaxError: {exc}") from None


def run_code(code: CodeType, extra: dict[str, Any] | None = None) -> Outcome:
    """Execute compiled program code; raises `ProgramError` when it fails.

    `exit()`/`sys.exit()` with no code or 0 just end the program, as they
    would end a script.
    """
    output = PrintBuffer()
    namespace: dict[str, Any] = {
        "__name__": "__main__",
        "__doc__": None,
        "__builtins__": {**builtins.__dict__, "print": output.print},
        **(extra or {}),
    }
    try:
        exec(code, namespace)
    except SystemExit as exc:
        if exc.code not in (None, 0):
            raise _failure(exc, output, f"SystemExit: the program exited with {exc.code!r}") from exc
    except KeyboardInterrupt as exc:
        raise _failure(exc, output, "KeyboardInterrupt: the program was interrupted") from exc
    except Exception as exc:
        raise _failure(exc, output) from exc
    return Outcome(output.entries, namespace)


def run_program(source: str) -> Outcome:
    """Compile and run `source` as it is (no capture, no instrumentation)."""
    return run_code(compile_program(source))


def _failure(exc: BaseException, output: PrintBuffer, message: str | None = None) -> ProgramError:
    """One line from the user's innermost frame: `line 7: RuntimeError: ...`.

    The text is what Python itself would print last (so NameError and
    AttributeError keep their "Did you mean: 'tanh'?"), without the traceback.
    The error carries what the program printed before it failed.
    """
    line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename == PROGRAM_FILE:
            line = lineno
    error = ProgramError(message or _one_line(exc), line=line)
    error.prints = output.entries
    return error


def _one_line(exc: BaseException) -> str:
    shown = "".join(traceback.TracebackException.from_exception(exc).format_exception_only())
    lines = [text.strip() for text in shown.strip().splitlines() if text.strip()]
    text = lines[0] if lines else type(exc).__name__
    if isinstance(exc, (NameError, AttributeError)) and "Did you mean" not in text:
        text = _with_suggestion(exc, text)
    if isinstance(exc, NameError) and exc.name in _IMPORT_HINTS and "Did you" not in text:
        text += f" (add '{_IMPORT_HINTS[exc.name]}' at the top)"
    if len(text) > _MAX_MESSAGE:
        text = text[:_MAX_MESSAGE].rstrip() + "..."
    return text


def _with_suggestion(exc: BaseException, text: str) -> str:
    """Python 3.11 computes "Did you mean: 'tanh'?" only in the C code that
    prints an uncaught exception (3.12 moved it into `traceback`): let that
    code print into a buffer and keep its last line when it adds a hint."""
    printed = io.StringIO()
    with contextlib.redirect_stderr(printed):
        sys.__excepthook__(type(exc), exc, exc.__traceback__)
    last = printed.getvalue().strip().splitlines()[-1:]
    return last[0].strip() if last and last[0].startswith(text) and "Did you mean" in last[0] else text


__all__ = [
    "MAX_PRINT_CHARS",
    "OUTPUT_CUT",
    "Outcome",
    "PROGRAM_FILE",
    "PrintBuffer",
    "compile_program",
    "run_code",
    "run_program",
    "user_frame",
]
