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
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from types import CodeType, FrameType
from typing import Any

from graphs.errors import ExplorerError, ProgramError, clean_message

PROGRAM_FILE = "<program>"
# Where the explorer's own code lives: a failure raised in one of these files,
# below the program's innermost frame, is the explorer's (see `_blame`).
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep  # graphs/
# The frames (by id) that only passed one of the program's own calls on, set
# on an exception that came out of such a call (see `passed_on`).
_PASSED_ON = "_autograd_explorer_passed_on"
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
        try:
            builtins.print(*args, sep=sep, end=end, file=text)  # print's own argument checks
        except Exception as exc:
            passed_on(exc)
            raise
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


def passed_on(exc: BaseException) -> None:
    """Note that `exc` came out of one of the program's own calls, which the
    calling frame of the explorer only passed on (the op the capture mode
    hands to torch, the program's `loss.backward()`, its loop's iterable).

    The explorer's code sits between the program and torch on every call, so
    a frame of ours in a traceback does not make the failure ours: torch's
    "element 0 of tensors does not require grad" comes out through the
    capture mode. Marking the frame where the call was handed on tells that
    apart from an exception our own code raised, at no cost while nothing
    fails (a `try` costs nothing in Python 3.11 until it catches)."""
    passed = exc.__dict__.setdefault(_PASSED_ON, set())
    passed.add(id(sys._getframe(1)))


def program_call(func: Callable[..., Any], args: tuple = (), kwargs: dict[str, Any] | None = None) -> Any:
    """Make one of the program's own calls for it (`passed_on`)."""
    try:
        return func(*args, **(kwargs or {}))
    except Exception as exc:
        passed_on(exc)
        raise


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


def run_code(code: CodeType, extra: dict[str, Any] | None = None, tell_ours: bool = False) -> Outcome:
    """Execute compiled program code; raises `ProgramError` when it fails.

    `exit()`/`sys.exit()` with no code or 0 just end the program, as they
    would end a script. With `tell_ours`, an exception the explorer's own
    code raised is reported as ours (`ExplorerError`): only for a caller
    that marks every place where it passes one of the program's calls on
    (`passed_on`), as graphs.worker.capture does; for any other, a frame of ours
    could be one that passed torch's error on.
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
        raise _failure(exc, output, tell_ours=tell_ours) from exc
    return Outcome(output.entries, namespace)


def run_program(source: str) -> Outcome:
    """Compile and run `source` as it is (no capture, no instrumentation)."""
    return run_code(compile_program(source))


def _failure(
    exc: BaseException, output: PrintBuffer, message: str | None = None, tell_ours: bool = False
) -> ProgramError:
    """One line from the user's innermost frame: `line 7: RuntimeError: ...`.

    The text is what Python itself would print last (so NameError and
    AttributeError keep their "Did you mean: 'tanh'?"), without the traceback.
    An exception the explorer's own code raised while the program ran is
    not the program's (told apart with `tell_ours`, see `run_code`): it says
    so, and names no line of the program as the culprit (`explorer_failure`).
    Either error carries what the program printed before it failed.
    """
    line, ours = _blame(exc)
    if ours is not None and tell_ours:
        error: ProgramError = explorer_failure(exc, ours, f"recording line {line}" if line else "recording")
    else:
        error = ProgramError(message or _one_line(exc), line=line)
    error.prints = output.entries
    return error


def _blame(exc: BaseException) -> tuple[int | None, str | None]:
    """The program line running when `exc` was raised, and the explorer's file
    that raised it, or None when the program did.

    The innermost frame that is the program's or the explorer's decides
    (torch's and the standard library's frames in between decide nothing):
    a frame of the program means its code raised, or a hook or function of
    its own that torch called; a frame of the explorer means our code
    raised, unless that frame only passed the program's call on (`passed_on`)."""
    passed = exc.__dict__.get(_PASSED_ON, ())
    ours, decided = None, False
    for frame, lineno in reversed(list(traceback.walk_tb(exc.__traceback__))):
        filename = frame.f_code.co_filename
        if filename == PROGRAM_FILE:
            return lineno, ours
        if not decided and filename.startswith(_PACKAGE):
            decided = True
            ours = None if id(frame) in passed else os.path.basename(filename)
    return None, ours


def explorer_failure(exc: BaseException, where: str | None, doing: str) -> ExplorerError:
    """The explorer's own failure in one line: what it was doing, the error and
    the file that raised it (by default the innermost of ours), and that the
    program is not to blame."""
    if where is None:
        ours = [frame for frame, _ in traceback.walk_tb(exc.__traceback__)]
        files = [frame.f_code.co_filename for frame in ours if frame.f_code.co_filename.startswith(_PACKAGE)]
        where = os.path.basename(files[-1]) if files else "the explorer"
    return ExplorerError(
        f"Autograd Explorer failed while {doing} ({type(exc).__name__} in {where}: "
        f"{clean_message(exc)}); the program itself may be fine"
    )


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
    "explorer_failure",
    "passed_on",
    "program_call",
    "run_code",
    "run_program",
    "user_frame",
]
