"""Sandbox limits, read from environment variables so an operator can tune a
deployment without editing code (see docs/hosting.md and docs/sandbox.md).

One setting, `AUTOGRAD_EXPLORER_PROFILE`, picks a set of limits: `hosted`
(the public demo's strict ones, the dataclass defaults) or `local` (a
teacher's own machine, where a real training script takes minutes).
Individual `AUTOGRAD_EXPLORER_<FIELD>` variables override the profile's
values. When the variable is unset, the front end decides (`front_end_default`):
the CLI and notebooks run on the user's own machine and choose `local`;
anything else, the Streamlit app included, gets `hosted`, so a server that
strangers can reach never gets generous limits by accident.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields
from typing import Any

from graphs.sandbox.failure import SandboxError

ENV_PREFIX = "AUTOGRAD_EXPLORER_"
PROFILE_VARIABLE = ENV_PREFIX + "PROFILE"
HOSTED = "hosted"
LOCAL = "local"
PROFILES = (HOSTED, LOCAL)

# Ten minutes: makemore's MLP trains in 40-80 s, so a real lesson's script
# fits with room to spare, and a program stuck in a loop still ends.
LOCAL_SECONDS = 600
# The local memory budget is half the machine's RAM, within these bounds: never
# stricter than hosted, and never so large that a runaway allocation drives a
# big workstation into swap (a teaching script needs far less).
LOCAL_MEMORY_MIN_MB = 512
LOCAL_MEMORY_MAX_MB = 16 * 1024

_front_end_profile: ContextVar[str] = ContextVar("front_end_profile", default=HOSTED)


@dataclass(frozen=True)
class SandboxConfig:
    """Limits for one program run in a worker process.

    `memory_mb` is the budget on top of the worker's address space right
    after torch is imported (torch alone maps several hundred MB), so the
    number means what an operator expects: memory the program may use.
    `trusted` (AUTOGRAD_EXPLORER_TRUSTED=1) is for a teacher's own machine:
    programs run without the seccomp filter and file limits, so they may
    read files, still under the time and memory limits.
    `profile` names the profile the limits came from, so a stopped program's
    message can say how to change them (`limit_hint`); it changes no limit itself.
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
    profile: str = HOSTED

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SandboxConfig:
        """The profile's limits, overridden by `AUTOGRAD_EXPLORER_<FIELD>` variables."""
        environ = os.environ if environ is None else environ
        profile = profile_from(environ)
        types = {spec.name: spec.type for spec in fields(cls) if spec.name != "profile"}
        return cls(profile=profile, **{**profile_limits(profile), **from_environment(environ, types)})

    def limit_hint(self, name: str) -> str:
        """How to change the limit `name` (a field) that stopped a program, for
        the end of its one-line message: a student who met the public demo's
        limit learns what to set on their own machine."""
        variable = ENV_PREFIX + name.upper()
        if self.profile == LOCAL:
            return f"(the local limit; set {variable} to change it)"
        return f"(the hosted limit; on your own machine run with {PROFILE_VARIABLE}=local, or set {variable})"


def profile_from(environ: Mapping[str, str]) -> str:
    """`AUTOGRAD_EXPLORER_PROFILE`, or the front end's default when it is unset."""
    raw = environ.get(PROFILE_VARIABLE)
    if raw is None:
        return _front_end_profile.get()
    name = raw.strip().lower()
    if name not in PROFILES:
        raise SandboxError(
            f"the server setting {PROFILE_VARIABLE}={raw!r} is invalid: expected {' or '.join(PROFILES)}"
        )
    return name


@contextmanager
def front_end_default(profile: str) -> Iterator[None]:
    """Programs run in the block get `profile` unless AUTOGRAD_EXPLORER_PROFILE
    names one. A context variable, not the environment: a host process (a
    notebook kernel, a program calling the CLI's `main`) keeps its own settings."""
    token = _front_end_profile.set(profile)
    try:
        yield
    finally:
        _front_end_profile.reset(token)


def profile_limits(profile: str) -> dict[str, Any]:
    """The fields `profile` sets; hosted's are the dataclass defaults."""
    if profile == HOSTED:
        return {}
    return {"timeout_s": float(LOCAL_SECONDS), "cpu_s": LOCAL_SECONDS, "memory_mb": local_memory_mb()}


def profiles_help() -> str:
    """The two profiles in a few words, for the command lines' help."""
    hosted = SandboxConfig()
    return (
        f"local ({LOCAL_SECONDS // 60} minutes per program, half the RAM) or "
        f"hosted (the public demo's {hosted.timeout_s:g} s, {hosted.memory_mb} MB)"
    )


def local_memory_mb(ram_mb: int | None = None) -> int:
    """Half the machine's RAM (`ram_mb`, else read from the machine), bounded:
    the other half is the system's, the browser's and the server's."""
    if ram_mb is None:
        ram_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1024 * 1024)
    return max(LOCAL_MEMORY_MIN_MB, min(LOCAL_MEMORY_MAX_MB, ram_mb // 2))


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
