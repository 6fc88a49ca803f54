"""Processes found by session id in /proc: what a process started, even after init adopted it.

A test starts the process under watch with `start_new_session=True`, so its
session id is its pid, and everything it forks (and their forks) keeps that
session unless it calls `setsid` itself, which a locked worker cannot.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path


def _stat_field(pid: int, index: int) -> int | None:
    """A number from /proc/<pid>/stat, counted after the name (0: state, 1: ppid,
    2: pgrp, 3: session); None once the process has ended."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[index])


def session_of(pid: int) -> int | None:
    """The session id of process `pid`, None once it has ended."""
    return _stat_field(pid, 3)


def parent_of(pid: int) -> int | None:
    """The parent of process `pid`, None once it has ended."""
    return _stat_field(pid, 1)


def in_session(session: int) -> list[int]:
    """Every process still in `session`, zombies included."""
    return [
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and session_of(int(entry.name)) == session
    ]


def locked_in_session(session: int) -> list[int]:
    """The session's processes under the seccomp filter (`Seccomp: 2`): its locked workers."""
    found = []
    for pid in in_session(session):
        try:
            if "Seccomp:\t2" in Path(f"/proc/{pid}/status").read_text():
                found.append(pid)
        except OSError:  # it ended while we looked
            continue
    return found


def lasting_locked(
    session: int, cli: subprocess.Popen, settle: float = 0.5, timeout: float = 300
) -> list[int]:
    """The session's locked processes once one has lasted `settle` seconds (a
    worker running its program), or [] when the deadline passes or `cli`
    ends first. A locked process seen only once may be the wall's proof, a
    short-lived process the CLI forks to check the filter before it runs
    anything: taking it for the worker made a test flaky."""
    first_seen: dict[int, float] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and cli.poll() is None:
        now, locked = time.monotonic(), locked_in_session(session)
        first_seen = {pid: first_seen.get(pid, now) for pid in locked}
        lasting = [pid for pid, seen in first_seen.items() if now - seen >= settle]
        if lasting:
            return lasting
        time.sleep(0.05)
    return []


def described(pids: list[int]) -> list[str]:
    """`pid parent state command` for each process still there, for a failing assertion's message."""
    found = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        found.append(f"{pid} {parent_of(pid)} {state} {command[:200]}")
    return found
