"""Process isolation for programs typed by strangers (the public demo's wall).

`call(fn, *args)` runs a module-level function in a fresh worker forked from
a zygote process with torch preloaded; the worker locks itself in (seccomp
allow-list, rlimits, `nobody`, no descriptors but its result pipe) before
the program runs, and its result comes back as bounded JSON, never pickle.
`graphs.api` routes every program through it.  A command line runs its
calls inside `forking(jobs)` instead: the same monitor and worker, forked
from its own process (`direct.py`), with no fork server to start or leave
behind.  Limits come from
`AUTOGRAD_EXPLORER_*` environment variables (`SandboxConfig.from_env`);
docs/sandbox.md says what is forbidden and why.
"""

from graphs.sandbox.client import WallStatus, serve, start, stop, trusted
from graphs.sandbox.config import SandboxConfig
from graphs.sandbox.direct import call, forking
from graphs.sandbox.failure import SandboxError

__all__ = [
    "SandboxConfig",
    "SandboxError",
    "WallStatus",
    "call",
    "forking",
    "serve",
    "start",
    "stop",
    "trusted",
]
