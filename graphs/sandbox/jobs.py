"""Jobs of the sandbox's own: bare Python in a worker, and the self-test built on it.

`run_python` executes program text with no capture around it: the probe
proves the wall with it at zygote start, by attempting what a locked worker
must be refused (open, socket, kill) through exactly the path a user's
program takes.
"""

from __future__ import annotations

from graphs.program import run_program

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


def run_python(source: str) -> list[str]:
    """What `source` printed, one entry per print call; a failure is a `ProgramError`."""
    return run_program(source).prints


def probe_findings() -> list[str]:
    """Run in a worker: what it was not refused (empty when the wall holds)."""
    return run_python(PROBE)
