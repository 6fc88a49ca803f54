"""`python -m graphs` on a file: the worker is forked from the CLI's own process, and nothing outlives it.

Each CLI runs as a real subprocess in a session of its own, so every process
it starts (monitor, worker, a fork server if one were started) is found by
its session id in /proc, even after it has been handed to init. The check is
made the moment the CLI has exited: the CLI reaps what it forked before it
exits, so there is nothing to wait for.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.sessions import described, in_session, lasting_locked, parent_of

ROOT = Path(__file__).resolve().parents[2]
FOUR_LINES = """\
import torch
w = torch.tensor([2.0, -1.0], requires_grad=True)
loss = (w * w).sum()
loss.backward()
"""


def start_cli(*args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "graphs", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its session id is its pid: what it starts stays findable
    )


@pytest.fixture
def four_lines(tmp_path: Path) -> Path:
    path = tmp_path / "four_lines.py"
    path.write_text(FOUR_LINES)
    return path


def leaf_grad(record: dict) -> list[float]:
    leaf = next(node for node in record["nodes"] if node["kind"] == "leaf")
    return record["passes"][-1]["grad_after"][leaf["id"]]


@pytest.mark.parametrize("command", ["run", "check", "render"])
def test_a_file_runs_in_a_forked_worker_and_no_process_is_left(command, four_lines, tmp_path):
    extra = {"run": ["--json"], "check": ["--json"], "render": ["-o", str(tmp_path / "graph.dot")]}[command]
    cli = start_cli(command, str(four_lines), *extra)
    stdout, stderr = cli.communicate(timeout=600)
    assert cli.returncode == 0, stderr
    assert in_session(cli.pid) == [], described(in_session(cli.pid))
    if command == "run":
        assert leaf_grad(json.loads(stdout)) == [4.0, -2.0]  # d(w*w).sum()/dw = 2w
    elif command == "check":
        assert json.loads(stdout)["agrees"] is True
    else:
        assert "SumBackward0" in (tmp_path / "graph.dot").read_text()


def test_a_program_stopped_by_its_deadline_says_so_in_one_line_and_leaves_nothing(four_lines):
    four_lines.write_text("while True:\n    pass\n")
    cli = start_cli("run", str(four_lines), env={"AUTOGRAD_EXPLORER_TIMEOUT_S": "2"})
    _, stderr = cli.communicate(timeout=600)
    assert cli.returncode == 1
    assert stderr.strip().splitlines() == [
        "error: the program ran longer than 2 s and was stopped "
        "(the local limit; set AUTOGRAD_EXPLORER_TIMEOUT_S to change it)"
    ]
    assert in_session(cli.pid) == [], described(in_session(cli.pid))


def test_ctrl_c_while_the_program_runs_leaves_no_process(four_lines):
    """The terminal's Ctrl-C reaches the whole foreground group: the CLI, its
    monitor and the locked worker, which may ignore it; the CLI ends all of them."""
    four_lines.write_text("import signal as s, time\ns.signal(s.SIGINT, s.SIG_IGN)\ntime.sleep(600)")
    cli = start_cli("run", str(four_lines))
    workers = lasting_locked(cli.pid, cli)
    assert workers, "the worker did not start"
    assert parent_of(parent_of(workers[0])) == cli.pid  # forked by the CLI's monitor, not a fork server's
    os.killpg(cli.pid, signal.SIGINT)
    cli.communicate(timeout=120)
    assert cli.returncode != 0
    assert in_session(cli.pid) == [], described(in_session(cli.pid))


def test_numpy_and_torch_products_run_in_the_forked_worker(four_lines):
    """numpy starts a thread pool on import, whose copy in a forked worker
    waited forever for threads that were not copied: the CLI's pools have one."""
    four_lines.write_text(
        "import numpy as np, torch\nproduct = np.ones((600, 600)) @ np.ones((600, 600))\n"
        "t = torch.ones(600, 600, requires_grad=True)\n(t @ t).sum().backward()\n"
        "print(product[0, 0], t.grad[0, 0].item())\n"
    )
    cli = start_cli("run", str(four_lines), "--json", env={"AUTOGRAD_EXPLORER_TIMEOUT_S": "60"})
    stdout, stderr = cli.communicate(timeout=600)
    assert cli.returncode == 0, stderr
    assert json.loads(stdout)["prints"] == ["600.0 1200.0"]  # 600 ones summed; d/dt sum(t @ t) = 2 * 600
    assert in_session(cli.pid) == [], described(in_session(cli.pid))
