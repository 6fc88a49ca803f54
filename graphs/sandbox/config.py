"""Sandbox limits, read from environment variables so an operator can tune a
deployment without editing code (see docs/hosting.md for the table)."""
from __future__ import annotations

import os
from dataclasses import dataclass, fields

ENV_PREFIX = "AUTOGRAD_EXPLORER_"


@dataclass(frozen=True)
class SandboxConfig:
    """Limits for one program run in a worker process.

    `memory_mb` is the budget on top of the worker's address space right
    after torch is imported (torch alone maps several hundred MB), so the
    number means what an operator expects: memory the program may use.
    """

    timeout_s: float = 10.0
    cpu_s: int = 10
    memory_mb: int = 512
    max_workers: int = max(1, os.cpu_count() or 1)
    queue_timeout_s: float = 30.0
    drop_privileges: bool = True

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> SandboxConfig:
        """Defaults overridden by `AUTOGRAD_EXPLORER_<FIELD>` variables."""
        environ = os.environ if environ is None else environ
        values = {}
        for spec in fields(cls):
            raw = environ.get(ENV_PREFIX + spec.name.upper())
            if raw is None:
                continue
            try:
                values[spec.name] = _parse(spec.type, raw)
            except ValueError as exc:
                raise ValueError(f"{ENV_PREFIX}{spec.name.upper()}={raw!r}: {exc}") from None
        return cls(**values)


def _parse(type_name: str, raw: str) -> float | int | bool:
    if type_name == "bool":
        lowered = raw.strip().lower()
        if lowered not in {"1", "0", "true", "false", "yes", "no"}:
            raise ValueError("expected 1/0, true/false or yes/no")
        return lowered in {"1", "true", "yes"}
    value = float(raw) if type_name == "float" else int(raw)
    if value <= 0:
        raise ValueError("must be positive")
    return value
