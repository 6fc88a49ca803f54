"""Calls served by this process (`sandbox.forking`, the CLI's way): the same wall as the zygote's.

Each limit trips with the zygote path's own message, the worker sees only the
minimal environment (not this process's, whose strings it cannot find in its
memory either), no fork server is started, every process forked is reaped
when the block ends, and a program that needs a module this process had not
imported runs after one warm-up.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from graphs import sandbox
from graphs.errors import ProgramError
from graphs.sandbox import SandboxConfig, SandboxError, call, forking
from graphs.sandbox.client import BROKEN_FILTER_VARIABLE, minimal_environment
from graphs.worker import jobs
from graphs.worker.jobs import run_python

ROOT = Path(__file__).resolve().parents[2]
FAST = SandboxConfig(timeout_s=5.0)
SECRET_NAME = "AUTOGRAD_DIRECT_TEST_TOKEN"
SECRET = "direct-secret-4c1f9e07-never-shown"
# What a worker finds of its environment: os.environ, and the C library's strings in its memory.
ENVIRONMENT = """\
import ctypes, json, os
environ = ctypes.POINTER(ctypes.c_char_p).in_dll(ctypes.CDLL(None), "environ")
strings, i = [], 0
while environ[i] is not None:
    strings.append(environ[i].decode("latin-1")); i += 1
print(json.dumps({"environ": dict(os.environ), "strings": strings, "pid": os.getpid()}))
"""


def children_of(pid: int) -> list[int]:
    """Processes whose parent is `pid`, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
        except OSError:  # it ended while we looked
            continue
    return found


@pytest.fixture
def secret_in_environment(monkeypatch):
    monkeypatch.setenv(SECRET_NAME, SECRET)


def test_a_call_runs_in_a_grandchild_of_this_process_and_no_fork_server_starts(secret_in_environment):
    sandbox.stop()
    with forking(jobs.__name__) as here:
        found = json.loads(call(run_python, ENVIRONMENT, config=FAST)[0])
        monitors = list(here.monitors)
    assert sandbox.client._zygote is None
    assert found["pid"] not in (os.getpid(), *monitors) and len(monitors) == 1
    assert here.monitors == [] and not set(children_of(os.getpid())) & set(monitors)


def test_the_worker_has_the_minimal_environment_and_no_string_of_ours(secret_in_environment):
    with forking(jobs.__name__):
        found = json.loads(call(run_python, ENVIRONMENT, config=FAST)[0])
    assert found["environ"] == minimal_environment() | {
        name: value for name, value in found["environ"].items() if name == "TORCHINDUCTOR_CACHE_DIR"
    }
    assert SECRET not in json.dumps(found) and SECRET_NAME in os.environ


@pytest.mark.parametrize("served_here", [False, True], ids=["zygote", "forked"])
@pytest.mark.parametrize(
    ("source", "config", "message"),
    [
        ("import time\ntime.sleep(3600)", SandboxConfig(timeout_s=1.5), r"^the program ran longer than 1\.5"),
        ("while True:\n    pass", SandboxConfig(timeout_s=60, cpu_s=1), r"ran longer than 1 s of CPU time"),
        ("x = bytearray(2 * 1024**3)", SandboxConfig(timeout_s=30), r"used more than 512 MB of memory"),
        ("import os\nos._exit(0)", FAST, r"^the worker stopped unexpectedly; the program was not run"),
        ("open('/etc/hostname')", FAST, r"^line 1: PermissionError"),
        (
            "import os\nchunk = b' ' * (1 << 20)\nwhile True:\n    os.write(3, chunk)",
            SandboxConfig(timeout_s=5, max_result_mb=1),
            r"^the program's result was larger than 1 MB and was not read$",
        ),
    ],
    ids=["timeout", "cpu", "memory", "exit", "filter", "oversized"],
)
def test_each_limit_stops_the_program_with_the_same_words_on_both_paths(served_here, source, config, message):
    if not served_here:
        with pytest.raises(SandboxError if "line" not in message else ProgramError, match=message):
            call(run_python, source, config=config)
        return
    with forking(jobs.__name__) as here, pytest.raises(ProgramError, match=message):
        call(run_python, source, config=config)
    assert here.monitors == []


def test_a_typed_program_is_refused_where_the_wall_does_not_hold(monkeypatch):
    """Fail closed, as the zygote: the probe finds the broken filter, a typed
    program is refused in one line, a vetted one runs under rlimits alone."""
    monkeypatch.setenv(BROKEN_FILTER_VARIABLE, "1")
    with forking(jobs.__name__) as here:
        with pytest.raises(SandboxError, match=r"cannot lock programs in \(seccomp unavailable: a locked"):
            call(run_python, "print(1)", config=FAST)
        assert call(run_python, "print(2)", config=FAST, vetted=True) == ["2"]
    assert not here.status().locked


# Run in a fresh process, as the CLI is: whether a module is imported yet depends on what ran before.
WARM_UP = """\
import json, sys
from graphs import sandbox
from graphs.errors import ProgramError
from graphs.worker import jobs
assert "colorsys" not in sys.modules
with sandbox.forking(jobs.__name__) as here:
    first = sandbox.call(jobs.run_python, "import colorsys\\nprint(colorsys.rgb_to_hsv(1, 0, 0))")
    warm = here.warm
    try:
        sandbox.call(jobs.run_python, "import no_such_module_anywhere")
    except ProgramError as error:
        missing = str(error)
print(json.dumps({"first": first, "warm": warm, "missing": missing}))
"""


def test_a_program_needing_a_module_not_yet_imported_runs_after_one_warm_up():
    done = subprocess.run(
        [sys.executable, "-c", WARM_UP], cwd=ROOT, capture_output=True, text=True, timeout=600, check=True
    )
    found = json.loads(done.stdout.splitlines()[-1])
    assert found["first"] == ["(0.0, 1.0, 1)"] and found["warm"] is True
    assert found["missing"] == "line 1: ModuleNotFoundError: No module named 'no_such_module_anywhere'"
