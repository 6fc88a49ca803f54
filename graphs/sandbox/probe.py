"""The wall's self-test: what a locked worker must be refused, tried in one.

At start the zygote runs `findings` in a worker it locked in exactly as it
locks in a program's, and reports the wall broken (fail closed) if any
attempt (open, socket, kill) was not refused.
"""

from __future__ import annotations

import contextlib
import io

# Each attempt must fail with EPERM, the filter's answer: without the filter
# `open` and `socket` fail too (RLIMIT_NOFILE), but with EMFILE.
PROBE = """\
import errno, os, socket

def refused(attempt):
    try:
        attempt()
    except OSError as exc:
        return exc.errno == errno.EPERM
    return False

for name, attempt in [("open", lambda: open("/proc/self/status")),
                      ("socket", lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM)),
                      ("kill", lambda: os.kill(os.getpid(), 0))]:
    if not refused(attempt):
        print(name)
"""


def findings() -> list[str]:
    """Run in a worker: the attempts it was not refused (empty when the wall holds)."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(PROBE, "<probe>", "exec"), {"__name__": "__probe__"})  # noqa: S102 (our own code)
    return printed.getvalue().split()
