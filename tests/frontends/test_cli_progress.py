"""`python -m graphs run` on a long program: a progress line on a terminal's stderr, nothing when piped."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from tests.training import training

ROOT = Path(__file__).resolve().parents[2]
TRAINING = training(6000)


def run_cli(program: Path, stderr) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "120"}
    return subprocess.run(
        [sys.executable, "-m", "graphs", "run", str(program)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=stderr,
        env=env,
        timeout=600,
        check=True,
    )


def read_all(fd: int) -> bytes:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 1 << 16)
        except OSError:  # the terminal's other end closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def test_a_terminal_gets_a_progress_line_redrawn_in_place_and_cleared(tmp_path):
    program = tmp_path / "train.py"
    program.write_text(TRAINING)
    main, terminal = pty.openpty()
    try:
        done = run_cli(program, terminal)
    finally:
        os.close(terminal)
    shown = read_all(main).decode()
    os.close(main)
    lines = [line for line in shown.split("\r") if line.strip()]
    assert lines, "a run of seconds reports at least once"
    assert all(line.startswith("iteration ") and " of 6,000 · " in line for line in lines)
    assert shown.endswith("\r") and shown.rstrip("\r").split("\r")[-1].strip() == ""  # cleared
    assert "loss.backward()  line 5" in done.stdout.decode()


def test_piped_stderr_gets_no_progress(tmp_path):
    program = tmp_path / "train.py"
    program.write_text(TRAINING)
    done = run_cli(program, subprocess.PIPE)
    assert done.stderr == b""
    assert "loss.backward()  line 5" in done.stdout.decode()
