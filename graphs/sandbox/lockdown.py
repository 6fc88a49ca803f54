"""What a freshly forked worker does to itself before it runs a line of the program.

The steps run in this order, each irreversible, all before any user code:

1. descriptors: 0-2 on /dev/null, the result pipe on 3, every other one
   closed, so nothing the zygote or the server had open can be reached;
2. `sys.stdout`/`sys.stderr` into bounded memory (fd 1 and 2 are not writable
   under the filter, and a print loop must not grow without bound);
3. rlimits: address space (a memory budget), CPU seconds, no file bytes,
   no core dumps, no new descriptors, no new processes;
4. `nobody` when started as root (root ignores RLIMIT_NPROC and file modes);
5. `PR_SET_NO_NEW_PRIVS` and `PR_SET_DUMPABLE` 0: workers share a uid, and
   only dumpable=0 stops one from tracing or reading another;
6. the seccomp allow-list (`syscalls`), the wall itself;
7. imports limited to finders that need no files, so importing a module the
   zygote did not preload is a clean `ModuleNotFoundError`.

Trusted mode (a teacher's own laptop) keeps 1-3's time and memory limits only.
"""

from __future__ import annotations

import ctypes
import io
import os
import resource
import sys
from dataclasses import dataclass
from importlib.machinery import BuiltinImporter, FrozenImporter
from typing import Any

from graphs.sandbox import syscalls
from graphs.sandbox.config import SandboxConfig
from graphs.sandbox.syscalls import RESULT_FD

NOBODY = 65534
_PR_SET_DUMPABLE = 4
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_THP_DISABLE = 41
# dlopen(NULL) opens no file, so this is safe to keep for every worker.
_libc = ctypes.CDLL(None, use_errno=True)


@dataclass(frozen=True)
class Wall:
    """How a worker locks itself in: `rules` is the built seccomp filter, or
    None where it cannot be built (then `reason` says why)."""

    rules: Any
    reason: str | None = None


class BoundedText(io.TextIOBase):
    """A text stream that keeps the first `limit` characters and drops the rest."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        room = self.limit - self.size
        if room > 0:
            self.parts.append(text[:room])
            self.size += min(room, len(text))
        return len(text)

    def getvalue(self) -> str:
        return "".join(self.parts)


def lock_in(result_fd: int, config: SandboxConfig, wall: Wall, filtered: bool) -> None:
    """Steps 1-7 above; `filtered` False skips the seccomp filter (trusted mode,
    or a catalogue program where the wall cannot be built).  Raises
    `syscalls.Unavailable` rather than run unfiltered when the filter fails."""
    _descriptors(result_fd)
    # The zygote's heap is in huge pages so that forking is cheap; the worker's
    # own new memory is not, so that no allocation waits for the kernel to
    # assemble a 2 MB page.
    _prctl(_PR_SET_THP_DISABLE, 1)
    sys.stdout = BoundedText(config.output_chars)
    sys.stderr = BoundedText(config.output_chars)
    _rlimits(config)
    if config.trusted:
        return
    if config.drop_privileges and os.geteuid() == 0:
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
    _prctl(_PR_SET_NO_NEW_PRIVS, 1)
    _prctl(_PR_SET_DUMPABLE, 0)
    if filtered:
        if wall.rules is None:
            raise syscalls.Unavailable(wall.reason or "seccomp is unavailable")
        syscalls.load(wall.rules)
    sys.meta_path[:] = [BuiltinImporter, FrozenImporter]


def _descriptors(result_fd: int) -> None:
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.dup2(result_fd, RESULT_FD)
    os.closerange(RESULT_FD + 1, resource.getrlimit(resource.RLIMIT_NOFILE)[1])


def _rlimits(config: SandboxConfig) -> None:
    # The budget is on top of what torch already maps (several hundred MB),
    # so `memory_mb` means what an operator expects: memory the program may use.
    # Heap the zygote freed is mapped but reusable without a new mapping, so it
    # comes out of the budget rather than on top of it.
    used = address_space_bytes() - heap_free_bytes()
    _set(resource.RLIMIT_AS, used + config.memory_mb * 1024 * 1024)
    # Soft below hard so the kernel sends SIGXCPU (explained as "ran too long")
    # before it would send SIGKILL (indistinguishable from the OOM killer).
    resource.setrlimit(resource.RLIMIT_CPU, (config.cpu_s, config.cpu_s + 1))
    _set(resource.RLIMIT_CORE, 0)
    if config.trusted:
        return
    _set(resource.RLIMIT_FSIZE, 0)
    _set(resource.RLIMIT_NPROC, 0)
    _set(resource.RLIMIT_NOFILE, RESULT_FD + 1)  # 0-3 are taken: no new file, pipe or socket


def address_space_bytes() -> int:
    """The process's current virtual memory size (VmSize)."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[0])
    return pages * os.sysconf("SC_PAGE_SIZE")


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks")
        + ("uordblks", "fordblks", "keepcost")
    ]


def heap_free_bytes() -> int:
    """Bytes glibc's allocator holds free in its main arena (the zygote is
    single-threaded, so that is its heap); 0 where mallinfo2 is missing
    (glibc before 2.33, other C libraries)."""
    mallinfo2 = getattr(_libc, "mallinfo2", None)
    if mallinfo2 is None:
        return 0
    mallinfo2.restype = _MallInfo2
    return mallinfo2().fordblks


def _set(which: int, value: int) -> None:
    resource.setrlimit(which, (value, value))


def _prctl(option: int, value: int) -> None:
    if not hasattr(_libc, "prctl"):  # not Linux: no filter either, so typed programs are refused
        return
    if _libc.prctl(option, value, 0, 0, 0) != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"prctl({option}) failed: {os.strerror(number)}")
