"""Showing program text inside Streamlit's Markdown without it turning into
formatting: titles such as `(a**2).sum()`, expressions such as `y * y * z`,
numbers such as `1.` (a list item to Markdown) and error messages quoting code.
"""

from __future__ import annotations

import re

# CommonMark lets a backslash escape any ASCII punctuation character.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def escape(text: str) -> str:
    """`text` as Markdown that displays exactly `text`."""
    return _PUNCTUATION.sub(r"\\\1", text)


def code_block(code: str, language: str = "python") -> str:
    """A fenced block that no backticks inside `code` can close early."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{code}\n{fence}"
