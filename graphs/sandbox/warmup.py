"""Exercise the core once in the forkserver so workers never import lazily.

Torch and the core import some modules on first use (printing, losses,
autograd.grad, torchviz).  A worker cannot open files once locked down, so the
forkserver runs every catalogue program, plain and classic, before forking.
"""
from __future__ import annotations

from pathlib import Path
from types import ModuleType

PROGRAMS = Path(__file__).resolve().parent.parent / "catalogue" / "programs"


def warm_up(api: ModuleType) -> None:
    """Run the catalogue in this process; a broken entry only costs warmth."""
    for path in sorted(PROGRAMS.glob("*.py")):
        source = path.read_text()
        for run in (api.run_in_process, api.classic_in_process):
            try:
                run(source)
            except Exception:  # the forkserver must start even if an entry is broken
                continue
