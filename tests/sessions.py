"""Processes found by session id in /proc: what a process started, even after init adopted it.

A test starts the process under watch with `start_new_session=True`, so its
session id is its pid, and everything it forks (and their forks) keeps that
session unless it calls `setsid` itself, which a locked worker cannot.
"""

from __future__ import annotations

from pathlib import Path


def session_of(pid: int) -> int | None:
    """The session id of process `pid` (/proc/<pid>/stat), None once it has ended."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[3])  # after the name: state, ppid, pgrp, session


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
