"""The seccomp-bpf allow-list: the system calls a locked worker may make.

This filter is the wall. rlimits and `nobody` alone still let a worker
signal a sibling running as the same user, or `execve` a program. Under the
filter every system call not listed below fails with EPERM, which Python
raises as a clean `PermissionError`, whatever makes the call: Python,
ctypes, or machine code doing a raw `syscall` instruction. Calls made with
another architecture's numbering (32-bit `int 0x80`, the x32 ABI) kill the
process.

Why a library (libseccomp, through the pure-Python `pyseccomp` binding)
rather than BPF assembled here: the filter must check the architecture
before the number, handle x32's high-bit numbering and name each call
portably; libseccomp does all three, is what systemd, runc (Docker) and
Flatpak rely on, and ships in every Debian and Ubuntu image as `libseccomp2`.
Hand-written BPF would be a second, untested copy of that logic.
"""

from __future__ import annotations

import errno
from typing import Any

# What CPython and torch's CPU kernels need to compute, measured with strace
# on forward and backward passes (conv, linalg, fft, LSTM, einsum, torch.func,
# optimizers, functional jacobian/hessian) in a locked worker:
# fmt: off
ALLOWED = (
    "brk", "mmap", "munmap", "mremap", "mprotect", "madvise",   # the allocator
    "futex",                                                     # locks, even single-threaded
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn",            # Python's signal handling
    "clock_gettime", "clock_nanosleep", "gettimeofday",          # time.time(), time.sleep()
    "getrandom",                                                 # random, secrets, hash seeds
    "exit", "exit_group",
    # Harmless additions, each found needed: `getpid` is read by logging's
    # LogRecord (torch logs warnings through it) and reveals only a number.
    "getpid",
)
# fmt: on
# The only descriptor a worker writes to: its result pipe (see `lockdown`).
RESULT_FD = 3


class Unavailable(Exception):
    """This machine cannot build the filter; the text says why."""


def build() -> Any:
    """The filter, built once in the zygote so each worker only loads it."""
    try:
        import pyseccomp as seccomp
    except Exception as exc:  # noqa: BLE001 (RuntimeError without libseccomp.so.2, AttributeError if too old)
        raise Unavailable(f"libseccomp cannot be loaded: {type(exc).__name__}: {exc}") from None
    try:
        rules = seccomp.SyscallFilter(seccomp.ERRNO(errno.EPERM))
        # Only the native architecture is in the filter; a call made with any
        # other numbering, x32's included, hits this action instead.
        rules.set_attr(seccomp.Attr.ACT_BADARCH, seccomp.KILL_PROCESS)
        for name in ALLOWED:
            rules.add_rule(seccomp.ALLOW, name)
        rules.add_rule(seccomp.ALLOW, "write", seccomp.Arg(0, seccomp.EQ, RESULT_FD))
    except OSError as exc:
        raise Unavailable(f"the filter cannot be built: {exc}") from None
    return rules


def load(rules: Any) -> None:
    """Install the filter on this process, for good (it survives nothing: no
    exec, no fork is allowed after it)."""
    try:
        rules.load()
    except OSError as exc:
        raise Unavailable(f"the kernel refused the filter: {exc.strerror or exc}") from None
