"""Sandbox limits, read from environment variables so an operator can tune a
deployment without editing code (see docs/hosting.md and docs/sandbox.md)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from graphs.sandbox.errors import SandboxError

ENV_PREFIX = "AUTOGRAD_EXPLORER_"


@dataclass(frozen=True)
class SandboxConfig:
    """Limits for one program run in a worker process.

    `memory_mb` is the budget on top of the worker's address space right
    after torch is imported (torch alone maps several hundred MB), so the
    number means what an operator expects: memory the program may use.
    `trusted` (AUTOGRAD_EXPLORER_TRUSTED=1) is for a teacher's own machine:
    programs run without the seccomp filter and file limits, so they may
    read files, still under the time and memory limits.
    """

    timeout_s: float = 10.0
    cpu_s: int = 10
    memory_mb: int = 512
    max_workers: int = max(1, os.cpu_count() or 1)
    queue_timeout_s: float = 30.0
    drop_privileges: bool = True
    trusted: bool = False
    # The largest result a worker may send, and what it may print, before it is stopped.
    max_result_mb: int = 16
    # ... and the most JSON values it may hold (`channel.loads`): what decoding costs in memory.
    max_result_values: int = 4_000_000
    output_chars: int = 1_000_000

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> SandboxConfig:
        """Defaults overridden by `AUTOGRAD_EXPLORER_<FIELD>` variables."""
        environ = os.environ if environ is None else environ
        return cls(**from_environment(environ, {spec.name: spec.type for spec in fields(cls)}))


def from_environment(environ: Mapping[str, str], types: dict[str, str]) -> dict[str, Any]:
    """The fields (name -> type name) set by `AUTOGRAD_EXPLORER_<NAME>` variables.

    A bad value is an operator's mistake the page must still explain in one
    line, so it raises `SandboxError` (a `ProgramError`) naming the variable.
    """
    values = {}
    for name, type_name in types.items():
        variable = ENV_PREFIX + name.upper()
        raw = environ.get(variable)
        if raw is None:
            continue
        try:
            values[name] = _parse(type_name, raw)
        except ValueError as exc:
            raise SandboxError(f"the server setting {variable}={raw!r} is invalid: {exc}") from None
    return values


def _parse(type_name: str, raw: str) -> float | int | bool:
    if type_name == "bool":
        lowered = raw.strip().lower()
        if lowered not in {"1", "0", "true", "false", "yes", "no"}:
            raise ValueError("expected 1/0, true/false or yes/no")
        return lowered in {"1", "true", "yes"}
    try:
        value = float(raw) if type_name == "float" else int(raw)
    except ValueError:
        raise ValueError(f"expected a {'number' if type_name == 'float' else 'whole number'}") from None
    if value <= 0:
        raise ValueError("it must be positive")
    return value
