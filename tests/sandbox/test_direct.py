"""Calls served by a process itself (`sandbox.forking`, the CLI's way): the same wall as the zygote's.

Programs go to `tests.forked_runner`, a process set up as the CLI's own (one
thread, a secret in its environment). Each limit stops a program with the
zygote path's own words, the worker sees only the minimal environment (the
runner's strings are not in its memory either), no fork server is started,
nothing forked is left when a call has returned, a process with a second
thread is not forked from, and a program that needs a module the process
had not imported runs after one warm-up.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict

import pytest

from graphs.errors import ProgramError
from graphs.sandbox import SandboxConfig, call, channel, forking
from graphs.sandbox.client import BROKEN_FILTER_VARIABLE, make_request, minimal_environment
from graphs.sandbox.direct import single_threaded
from graphs.worker import jobs
from graphs.worker.jobs import run_python
from tests.forked_runner import Runner
from tests.sessions import described, in_session, locked_in_session

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
print(json.dumps({"environ": dict(os.environ), "strings": strings}))
"""


@pytest.fixture(scope="module")
def runner():
    started = Runner({SECRET_NAME: SECRET})
    yield started
    started.close()


def assert_nothing_left(runner: Runner) -> None:
    left = [pid for pid in in_session(runner.pid) if pid != runner.pid]
    assert left == [], described(left)


def test_a_call_is_served_by_the_process_itself_and_leaves_nothing(runner):
    answer = runner.run("print(6 * 7)", asdict(FAST))
    assert answer == {"output": "42", "error": False, "one_line": True, "forked": True, "warm": False}
    assert_nothing_left(runner)  # no fork server either: it would be in the runner's session


def test_the_worker_has_the_minimal_environment_and_none_of_the_processs_strings(runner):
    found = json.loads(runner.run(ENVIRONMENT, asdict(FAST))["output"])
    extra = {name: value for name, value in found["environ"].items() if name == "TORCHINDUCTOR_CACHE_DIR"}
    expected = minimal_environment() | extra
    # PYTHONPATH is the runner's sys.path; tests earlier in a suite can extend this
    # process's (setuptools adds its _vendor), so that one is compared entry by entry.
    path = found["environ"].pop("PYTHONPATH").split(os.pathsep)
    assert set(path) <= set(expected.pop("PYTHONPATH").split(os.pathsep))
    assert found["environ"] == expected
    assert SECRET not in json.dumps(found)


LIMITS = [
    ("import time\ntime.sleep(3600)", SandboxConfig(timeout_s=1.5)),
    ("while True:\n    pass", SandboxConfig(timeout_s=60, cpu_s=1)),
    ("x = bytearray(2 * 1024**3)", SandboxConfig(timeout_s=30)),
    ("import os\nos._exit(0)", FAST),
    ("open('/etc/hostname')", FAST),
    ("import os\nwhile True:\n    os.write(3, b' ' * (1 << 20))", SandboxConfig(max_result_mb=1)),
]


@pytest.mark.parametrize(
    ("source", "config"), LIMITS, ids=["timeout", "cpu", "memory", "exit", "filter", "oversized"]
)
def test_each_limit_stops_the_program_with_the_zygote_paths_words(runner, source, config):
    with pytest.raises(ProgramError) as through_zygote:
        call(run_python, source, config=config)
    answer = runner.run(source, asdict(config))
    assert answer["error"] and answer["forked"] and answer["one_line"]
    assert answer["output"] == str(through_zygote.value)
    assert_nothing_left(runner)


def test_a_typed_program_is_refused_where_the_wall_does_not_hold():
    """Fail closed, as the zygote: the probe finds the broken filter, a typed
    program is refused in one line, a vetted one runs under rlimits alone."""
    broken = Runner({BROKEN_FILTER_VARIABLE: "1"})
    try:
        refused = broken.run("print(1)", asdict(FAST))
        vetted = broken.run("print(2)", asdict(FAST), vetted=True)
    finally:
        broken.close()
    assert refused["output"].startswith(
        "this server cannot lock programs in (seccomp unavailable: a locked worker was allowed"
    )
    assert refused["output"].endswith("); only catalogue programs run")
    assert vetted["output"] == "2" and vetted["forked"]


def test_a_program_needing_a_module_not_yet_imported_runs_after_one_warm_up():
    fresh = Runner()  # its own: whether a module is imported yet depends on what ran before
    try:
        first = fresh.run("import colorsys\nprint(colorsys.rgb_to_hsv(1, 0, 0))", asdict(FAST))
        missing = fresh.run("import no_such_module_anywhere", asdict(FAST))
    finally:
        fresh.close()
    assert first["output"] == "(0.0, 1.0, 1)" and first["warm"] and first["forked"]
    assert missing["output"] == "line 1: ModuleNotFoundError: No module named 'no_such_module_anywhere'"


def test_an_optimizer_step_needs_only_the_imports_not_the_whole_warm_up():
    """torch imports `torch._dynamo` at an optimizer's first step: the first,
    cheap warm-up step (importing `warmup.MODULES`) is enough, and the
    second (exercising torch, running the catalogue) is never paid for."""
    fresh = Runner()
    try:
        trained = fresh.run(
            "import torch\nw = torch.ones(2, requires_grad=True)\nopt = torch.optim.SGD([w], lr=0.5)\n"
            "(w * w).sum().backward()\nopt.step()\nprint(w.tolist())",
            asdict(FAST),
        )
    finally:
        fresh.close()
    assert trained["output"] == "[0.0, 0.0]" and trained["forked"]
    assert trained["warm"] == 1


def test_a_process_running_two_threads_is_not_forked_from():
    """This test process runs numpy's thread pool: its calls go to the zygote."""
    assert not single_threaded()
    with forking(jobs.__name__) as here:
        assert call(run_python, "print(3)", config=FAST) == ["3"]
        assert here.monitors == []


def test_a_caller_gone_before_its_worker_started_leaves_no_worker():
    """The monitor's first word to the caller fails when the caller has hung
    up already (a Ctrl-C at once): the worker it forked is killed all the same."""
    before = set(locked_in_session(os.getsid(0)))
    with forking(jobs.__name__) as here:
        here.status()
        connection = here.connect()
        request = make_request(run_python, ["import time\ntime.sleep(600)"], SandboxConfig(600), True)
        channel.send_frame(connection, channel.dumps(request))
        connection.close()
    assert set(locked_in_session(os.getsid(0))) - before == set()
