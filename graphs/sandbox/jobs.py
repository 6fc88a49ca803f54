"""Jobs of the sandbox's own: bare Python in a worker, and the self-test built on it.

`run_python` executes program text with no capture around it: the probe
proves the wall with it at zygote start, by attempting what a locked worker
must be refused (open, socket, kill) through exactly the path a user's
program takes.
"""
from __future__ import annotations

import traceback
from contextlib import redirect_stdout

from graphs.errors import ProgramError, clean_message
from graphs.sandbox.lockdown import BoundedText

FILENAME = "<program>"
PRINT_LIMIT = 1_000_000

# Each attempt must fail with EPERM, the filter's answer: without the filter
# `open` and `socket` fail too (RLIMIT_NOFILE), but with EMFILE.
PROBE = """\
import errno, os, socket

def refused(attempt):
    try:
        attempt()
    except OSError as exc:
        return exc.errno == errno.EPERM
    return False

for name, attempt in [("open", lambda: open("/proc/self/status")),
                      ("socket", lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM)),
                      ("kill", lambda: os.kill(os.getpid(), 0))]:
    if not refused(attempt):
        print(name)
"""


def run_python(source: str) -> str:
    """What `source` printed; an exception becomes a `ProgramError` at its line."""
    printed = BoundedText(PRINT_LIMIT)
    try:
        code = compile(source, FILENAME, "exec")
        with redirect_stdout(printed):
            exec(code, {"__name__": "__program__"})
    except SyntaxError as exc:
        raise ProgramError(f"SyntaxError: {exc.msg}", line=exc.lineno) from None
    except Exception as exc:
        raise ProgramError(f"{type(exc).__name__}: {clean_message(exc)}", line=_program_line(exc)) from None
    return printed.getvalue()


def _program_line(exc: BaseException) -> int | None:
    lines = [frame.lineno for frame in traceback.extract_tb(exc.__traceback__) if frame.filename == FILENAME]
    return lines[-1] if lines else None


def probe_findings() -> list[str]:
    """Run in a worker: what it was not refused (empty when the wall holds)."""
    return run_python(PROBE).split()
