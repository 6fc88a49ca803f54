"""The one error type a program run can end with, as the app and CLI show it.

Whatever stops a program (a Python or torch exception in the user's code, a
syntax error, a sandbox limit) reaches the caller as a `ProgramError` with a
1-based line (and column when known) and one plain sentence, so the page
can show it next to the code instead of a traceback.
"""

from __future__ import annotations

from typing import Any

_MAX_MESSAGE = 300


class ProgramError(Exception):
    """A program was refused or failed; `line`/`col` are 1-based or None.

    On its way to the caller it may carry what the program printed first
    (`prints`), the Recorder that watched it (`recorder`) and the graph up to
    the failure (`record`, or its wire form `payload` from a worker): set
    here to nothing, so every handler can read them whoever raised it.
    """

    def __init__(self, message: str, line: int | None = None, col: int | None = None):
        self.message = message
        self.line = line
        self.col = col
        self.prints: list[str] = []
        self.recorder: Any = None
        self.record: Any = None
        self.payload: Any = None
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        if self.col is None:
            return f"line {self.line}: {self.message}"
        return f"line {self.line}, col {self.col}: {self.message}"


class ExplorerError(ProgramError):
    """The explorer's own code failed while it ran or drew a program: shown
    like a program's error, in one line that says whose failure it is, with
    no line of the program blamed."""


def clean_message(exc: BaseException) -> str:
    """The first line of an exception's text, trimmed to one readable sentence.

    Torch messages can run to several paragraphs about C++ internals; a
    student needs the first statement of what went wrong.
    """
    text = str(exc).strip().splitlines()[0].strip() if str(exc).strip() else ""
    if not text:
        text = type(exc).__name__
    if len(text) > _MAX_MESSAGE:
        cut = text.find(". ", 0, _MAX_MESSAGE)
        text = text[: cut + 1] if cut > 0 else text[:_MAX_MESSAGE].rstrip() + "..."
    return text
