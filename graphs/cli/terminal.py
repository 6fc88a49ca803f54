"""The terminal's side of the command line: escaping, tables, a progress line.

A program's text reaches the terminal (its prints, the backward call's line,
node and op names, error messages), and a terminal obeys the control
characters in it: OSC 52 writes the clipboard, CSI 2J clears the screen. So
while a command runs, stdout and stderr write through `terminal_safe`, which
shows each control character as its escape (ESC as the four characters
`\\x1b`): one place, so no later print can forget it. `--json` is unchanged by
it: `json.dumps` already writes every control character as `\\u001b`.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from graphs.record.progress import Progress, summary

# What a terminal acts on: C0 controls but the tab and line break, DEL and C1;
# and lone surrogates, which UTF-8 output cannot carry (a worker's JSON can hold them).
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROLS_AND_BREAKS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def terminal_safe(text: str, one_line: bool = False) -> str:
    """`text` with each control character shown as its escape (`\\x1b`, `\\x9b`,
    `\\ud800`); `one_line` escapes line breaks and tabs too, for a table's cell."""
    return (_CONTROLS_AND_BREAKS if one_line else _CONTROLS).sub(_escape, text)


def _escape(found: re.Match[str]) -> str:
    code = ord(found.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


class TerminalText:
    """A text stream that writes through `terminal_safe`: what `sys.stdout` and
    `sys.stderr` are while a command runs. Everything else (flush, fileno, ...)
    is the wrapped stream's."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(terminal_safe(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


@contextmanager
def terminal_output() -> Iterator[None]:
    """stdout and stderr as `TerminalText` for the block, then as they were
    (a host that called `main()` gets its own streams back)."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = TerminalText(sys.stdout), TerminalText(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def table_text(frame: Any) -> str:
    """A pandas table for the terminal, each text cell on one line with its
    controls escaped: `to_string` prints cells as they are, line breaks and all."""
    cells = frame.map(lambda value: terminal_safe(value, one_line=True) if isinstance(value, str) else value)
    return cells.to_string(index=False)


@contextmanager
def progress_line() -> Iterator[Callable[[Progress], None] | None]:
    """How far a running program got, as one line on stderr redrawn in place
    (`\\r`) and cleared when the run ends; only on a terminal: piped or
    redirected, stderr gets nothing (None, no callback)."""
    stream = getattr(sys.stderr, "stream", sys.stderr)  # the terminal itself: the carriage return is ours
    if not stream.isatty():
        yield None
        return
    width = 0

    def show(report: Progress) -> None:
        nonlocal width
        text = terminal_safe(summary(report))[: shutil.get_terminal_size().columns - 1]
        stream.write("\r" + text.ljust(width))
        stream.flush()
        width = len(text)

    try:
        yield show
    finally:
        if width:
            stream.write("\r" + " " * width + "\r")
            stream.flush()
