"""Checkpoints a locked worker cannot write, kept in its memory instead.

Students save a model at the end of training (`torch.save(model.state_dict(),
"model.pt")`) and often load it back. A locked-in worker may open no file, so
the save failed and the whole program with it. While a program runs here,
a save that the operating system refuses goes to a dictionary in this
process's memory, keyed by the path, and a load of such a path reads it
back; it is gone with the worker. Where files can be written (a trusted
local run), torch's own functions do what they always do.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from typing import Any

import torch

from graphs.worker.program import passed_on, program_call

_SAVE, _LOAD = torch.save, torch.load


@contextlib.contextmanager
def checkpoints_in_memory(_recorder: object = None) -> Iterator[dict[str, bytes]]:
    """`torch.save`/`torch.load` falling back to memory while the block runs."""
    saved: dict[str, bytes] = {}

    # Torch's own errors (an object that cannot be pickled) stay the program's: `program_call`.
    def save(obj: Any, f: Any, *args: Any, **kwargs: Any) -> None:
        if not isinstance(f, (str, os.PathLike)):
            return program_call(_SAVE, (obj, f, *args), kwargs)
        try:
            return _SAVE(obj, f, *args, **kwargs)
        except (OSError, RuntimeError):  # the wall refused the file (torch says "Parent directory")
            pass
        except Exception as exc:
            passed_on(exc)
            raise
        buffer = io.BytesIO()
        program_call(_SAVE, (obj, buffer, *args), kwargs)
        saved[os.fspath(f)] = buffer.getvalue()
        return None

    def load(f: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(f, (str, os.PathLike)) and os.fspath(f) in saved:
            return program_call(_LOAD, (io.BytesIO(saved[os.fspath(f)]), *args), kwargs)
        return program_call(_LOAD, (f, *args), kwargs)

    torch.save, torch.load = save, load
    try:
        yield saved
    finally:
        torch.save, torch.load = _SAVE, _LOAD
