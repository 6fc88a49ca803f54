"""Torch's process-wide switches, put back as they were after a program.

A program may flip them for its own reasons (`set_detect_anomaly(True)` to
find its NaN, `set_grad_enabled(False)`, `set_default_dtype(torch.float64)`,
`set_num_threads(1)`); in a worker that is the program's own business, but a
program captured in this process (the notebook, tests, `graphs.api`) would
leave them flipped for everything that runs after it: the next program's
backward raising on a NaN it meant to show, or building no graph at all.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch._tensor_str import PRINT_OPTS


@contextmanager
def torch_state() -> Iterator[None]:
    """Run the body, then restore grad mode, anomaly mode, the default dtype,
    deterministic algorithms, the thread count and the print options."""
    grad = torch.is_grad_enabled()
    anomaly = (torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled())
    dtype = torch.get_default_dtype()
    deterministic = (
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
    )
    threads = torch.get_num_threads()
    printing = copy.copy(vars(PRINT_OPTS))
    try:
        yield
    finally:
        torch.set_grad_enabled(grad)
        torch.autograd.set_detect_anomaly(*anomaly)
        torch.set_default_dtype(dtype)
        torch.use_deterministic_algorithms(deterministic[0], warn_only=deterministic[1])
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        vars(PRINT_OPTS).update(printing)
