"""Process isolation for untrusted programs (the public demo's second wall).

`call(fn, *args)` runs a module-level function in a fresh worker forked from
a zygote process with torch preloaded, under OS limits (memory, CPU, no
files, no processes) and a wall-clock timeout; `graphs.api` routes every
program through it.  Limits come from `AUTOGRAD_EXPLORER_*` environment
variables (`SandboxConfig.from_env`).
"""
from graphs.sandbox.config import SandboxConfig
from graphs.sandbox.errors import SandboxError
from graphs.sandbox.worker import call, start

__all__ = ["SandboxConfig", "SandboxError", "call", "start"]
