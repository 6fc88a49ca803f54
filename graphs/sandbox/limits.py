"""Operating-system limits a worker places on itself before running a program.

They are the second wall behind the snippet language's own checks: even if a
program slipped past the allow-lists, the process that runs it cannot grow
past its memory budget, burn CPU forever, write a byte to any file, open a
new file or socket, or start a process.  They are applied after torch and
the core are imported (the preload), because importing needs files and
threads that a running program must not have.
"""
from __future__ import annotations

import os
import resource

from graphs.sandbox.config import SandboxConfig

NOBODY = 65534
# The worker moves its result pipe here, just above stdin/stdout/stderr.
RESULT_FD = 3


def address_space_bytes() -> int:
    """The process's current virtual memory size (VmSize)."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[0])
    return pages * os.sysconf("SC_PAGE_SIZE")


def apply_limits(config: SandboxConfig) -> None:
    """Lock this (freshly forked) process down; irreversible by design.

    Descriptors 0-3 (stdio and the result pipe, see `worker`) stay open;
    every other inherited descriptor is closed so nothing the server had
    open can be reached, and RLIMIT_NOFILE forbids opening any new one.
    """
    os.closerange(RESULT_FD + 1, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    budget = config.memory_mb * 1024 * 1024
    _set(resource.RLIMIT_AS, address_space_bytes() + budget)
    # Soft below hard so the kernel sends SIGXCPU (explained as "ran too long")
    # before it would send SIGKILL (indistinguishable from the OOM killer).
    resource.setrlimit(resource.RLIMIT_CPU, (config.cpu_s, config.cpu_s + 1))
    _set(resource.RLIMIT_FSIZE, 0)
    _set(resource.RLIMIT_CORE, 0)
    if config.drop_privileges and os.geteuid() == 0:
        # Root ignores RLIMIT_NPROC and file permissions: become `nobody`.
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
    _set(resource.RLIMIT_NPROC, 0)
    # Every descriptor below the limit is taken: no new file, pipe or socket.
    _set(resource.RLIMIT_NOFILE, RESULT_FD + 1)


def _set(which: int, value: int) -> None:
    resource.setrlimit(which, (value, value))
