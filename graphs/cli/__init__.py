"""`python -m graphs`, the command line: its commands (`commands.py`), where
their programs run (`process.py`), the `diagnose` command (`diagnose.py`)
and what reaches the terminal (`terminal.py`)."""

from graphs.cli.commands import main

__all__ = ["main"]
