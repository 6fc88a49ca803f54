"""A worker's failure as the message it sends: what the caller shows in one line.

The worker calls `describe` on whatever its call raised, a stranger's
exception included, so nothing here trusts the exception: its text may
raise, its causes may loop.
"""

from __future__ import annotations

from typing import Any

from graphs.errors import ProgramError


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
