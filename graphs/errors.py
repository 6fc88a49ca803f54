"""The one error type a program run can end with, as the app and CLI show it.

Whatever stops a program (a Python or torch exception in the user's code, a
syntax error, a sandbox limit) reaches the caller as a `ProgramError` with a
1-based line (and column when known) and one plain sentence, so the page
can show it next to the code instead of a traceback.
"""

from __future__ import annotations

_MAX_MESSAGE = 300


class ProgramError(Exception):
    """A program was refused or failed; `line`/`col` are 1-based or None."""

    def __init__(self, message: str, line: int | None = None, col: int | None = None):
        self.message = message
        self.line = line
        self.col = col
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        if self.col is None:
            return f"line {self.line}: {self.message}"
        return f"line {self.line}, col {self.col}: {self.message}"


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
