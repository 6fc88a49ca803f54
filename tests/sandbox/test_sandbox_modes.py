"""Fail closed where the wall cannot be built, and trusted local mode.

Fail-closed is tested with the real probe: the zygote is told (by a
test-only variable) to build a filter that refuses nothing, and its probe
must notice that a locked worker could open, connect and kill.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from graphs import sandbox
from graphs.api import run_source
from graphs.catalogue import CATALOGUE
from graphs.errors import ProgramError
from graphs.sandbox import SandboxConfig, SandboxError, call
from graphs.sandbox.client import BROKEN_FILTER_VARIABLE
from graphs.worker.jobs import run_python

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def broken_filter(monkeypatch):
    """A zygote whose filter refuses nothing; the next test gets a sound one again."""
    monkeypatch.setenv(BROKEN_FILTER_VARIABLE, "1")
    sandbox.stop()
    yield sandbox.start()
    sandbox.stop()


def test_the_probe_finds_the_wall_sound_on_this_machine():
    sandbox.stop()
    assert sandbox.start() == sandbox.WallStatus(locked=True, reason=None)


def test_a_filter_that_refuses_nothing_is_caught_by_the_probe(broken_filter):
    assert broken_filter.locked is False
    assert broken_filter.reason == "seccomp unavailable: a locked worker was allowed open, socket, kill"


def test_without_the_wall_typed_programs_are_refused_with_the_reason(broken_filter, tmp_path):
    marker = tmp_path / "written"
    tmp_path.chmod(0o777)
    with pytest.raises(SandboxError) as caught:
        call(run_python, f"open({str(marker)!r}, 'w').write('x')")
    assert str(caught.value) == (
        "this server cannot lock programs in (seccomp unavailable: a locked worker "
        "was allowed open, socket, kill); only catalogue programs run"
    )
    assert not marker.exists()


def test_without_the_wall_catalogue_programs_still_run(broken_filter):
    record = run_source(CATALOGUE[0].source)
    assert record.nodes


def test_without_the_wall_an_edited_catalogue_program_is_a_typed_one(broken_filter):
    with pytest.raises(SandboxError, match="only catalogue programs run"):
        run_source(CATALOGUE[0].source + "\n")


def test_trusted_mode_may_read_files_and_is_still_time_limited(monkeypatch, tmp_path):
    monkeypatch.setenv("AUTOGRAD_EXPLORER_TRUSTED", "1")
    data = tmp_path / "weights.txt"
    data.write_text("0.5 0.25")
    assert sandbox.trusted() is True
    assert call(run_python, f"print(open({str(data)!r}).read())") == ["0.5 0.25"]
    with pytest.raises(SandboxError, match="ran longer than 1 s"):
        call(run_python, "while True:\n    pass", config=SandboxConfig(trusted=True, timeout_s=1))
    with pytest.raises(SandboxError, match="used more than 64 MB"):
        call(run_python, "x = bytearray(1024**3)", config=SandboxConfig(trusted=True, memory_mb=64))


def test_trusted_mode_is_off_by_default_and_a_bad_value_is_not_trusted(monkeypatch):
    monkeypatch.delenv("AUTOGRAD_EXPLORER_TRUSTED", raising=False)
    assert sandbox.trusted() is False
    monkeypatch.setenv("AUTOGRAD_EXPLORER_TRUSTED", "perhaps")
    assert sandbox.trusted() is False


def test_the_default_worker_may_not_read_files(tmp_path):
    data = tmp_path / "weights.txt"
    data.write_text("0.5")
    data.chmod(0o644)
    with pytest.raises(ProgramError, match="PermissionError"):
        call(run_python, f"print(open({str(data)!r}).read())")


@pytest.mark.parametrize("switch, readable", [([], False), (["--trusted"], True)])
def test_the_command_line_reads_files_only_when_trusted(tmp_path, switch, readable):
    data = tmp_path / "weights.txt"
    data.write_text("0.75")
    program = tmp_path / "program.py"
    program.write_text(
        f"import torch\nw = torch.tensor([float(open({str(data)!r}).read())], requires_grad=True)\n"
        "(w * w).sum().backward()\nprint('read', w.item())"
    )
    done = subprocess.run(
        [sys.executable, "-m", "graphs", "run", str(program), *switch],
        cwd=ROOT,
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if readable:
        assert done.returncode == 0 and done.stdout.startswith("read 0.75"), done.stderr
    else:
        assert done.returncode == 1
        assert done.stderr == f"error: line 2: PermissionError: [Errno 1] Operation not permitted: '{data}'\n"
