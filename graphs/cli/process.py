"""Where the command line's programs run: the CLI's own process, and the workers it forks.

The CLI runs one program per process. A fork server (the app's way) imported
torch a second time before the first fork, 2.5x an `import torch` in all,
and was still running when the command had exited; so the CLI's own process,
which has imported torch already, forks each locked worker itself
(`graphs.sandbox.forking`), behind the same wall.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy comes with them, and must come after `one_thread_pools`
    from graphs.record.model import GraphRecord
    from graphs.record.progress import Progress


def own_process() -> bool:
    """True when this process is `python -m graphs` itself, not a host that called `main()`."""
    return (
        getattr(sys.modules.get("__main__"), "__spec__", None) is not None
        and sys.modules["__main__"].__spec__.name == "graphs.__main__"
    )


def record_of(source: str, on_progress: Callable[[Progress], None] | None = None) -> GraphRecord:
    """The program's record: from a locked worker (forked from this process:
    `served_here`), except for our own catalogue programs in the CLI's own
    process: our code, vetted like those the app runs where no wall can be
    built, with nobody else's state to disturb, so they run right here.
    A worker's run tells `on_progress` how far it got (`cli.progress_line`)."""
    from graphs.api import run_in_process, run_source  # imports torch: after the cheap checks

    return run_in_process(source) if runs_here(source) else run_source(source, on_progress=on_progress)


def runs_here(source: str) -> bool:
    """Whether `source` may skip the worker (see `record_of`)."""
    from graphs.api import _is_catalogue

    return own_process() and _is_catalogue(source)


def one_thread_pools() -> None:
    """In the CLI's own process, numpy's and torch's thread pools get one
    thread, as in the zygote (whose environment says so): numpy starts its
    pool on import, and a process with a second thread is never forked from
    (`sandbox.direct`). Called as this module is imported, before numpy is."""
    if own_process():
        os.environ.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")


@contextmanager
def served_here() -> Iterator[None]:
    """In the CLI's own process, a command's locked workers are forked from this
    process (`sandbox.forking`: no fork server to start or leave running), torch
    on one thread as in the app's; a host that called `main()` keeps the fork
    server: a fork must not copy its threads."""
    if not own_process():
        yield
        return
    import torch

    from graphs.sandbox import forking
    from graphs.worker import jobs

    torch.set_num_threads(1)
    with forking(jobs.__name__):
        yield


one_thread_pools()
