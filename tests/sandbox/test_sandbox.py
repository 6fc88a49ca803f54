"""The worker's limits trip, with the messages users see.

Programs here are real Python sent through `sandbox.call(run_python, ...)`,
the bare job the zygote's probe uses: the same fork, lockdown and result
channel a user's program meets, without the capture around it.
"""

from __future__ import annotations

import ctypes
import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from graphs.errors import ProgramError
from graphs.record import decode
from graphs.sandbox import SandboxConfig, SandboxError, call, stop
from graphs.sandbox.channel import ChannelError, loads
from graphs.sandbox.client import minimal_environment
from graphs.sandbox.config import from_environment
from graphs.sandbox.lockdown import heap_free_bytes
from graphs.worker.jobs import run_python

FAST = SandboxConfig(timeout_s=5.0)

# What a worker can learn about itself without a forbidden system call; the
# rest (uid, limits, descriptors, seccomp) is read from outside, in test_harm_process.
FACTS = """\
import json, os, torch
print(json.dumps({"threads": torch.get_num_threads(), "pid": os.getpid(),
                  "cuda": torch.cuda.is_available(), "environ": dict(os.environ)}))
"""


def facts(config: SandboxConfig = FAST) -> dict:
    return json.loads(call(run_python, FACTS, config=config)[0])


def test_a_program_runs_in_another_process_and_its_prints_come_back():
    import os

    assert call(run_python, "print(2 + 3)\nprint('a', 'b')", config=FAST) == ["5", "a b"]
    assert facts()["pid"] != os.getpid()


def test_worker_is_single_threaded_and_cpu_only():
    found = facts()
    assert found["threads"] == 1
    assert found["cuda"] is False


def test_the_worker_environment_is_the_minimal_one_not_the_servers():
    # A zygote started now: its PYTHONPATH is this process's `sys.path` at its
    # start, which an earlier test may have grown since (setuptools' vendored packages).
    stop()
    found = facts()["environ"]
    assert {name: found[name] for name in minimal_environment()} == minimal_environment()
    # torch sets its compiler's cache folder itself when the zygote imports it
    assert set(found) - set(minimal_environment()) <= {"TORCHINDUCTOR_CACHE_DIR"}


@pytest.mark.parametrize("source", ["import time\ntime.sleep(3600)", "while True:\n    pass"])
def test_wall_clock_timeout_kills_the_worker(source):
    started = time.monotonic()
    with pytest.raises(
        SandboxError,
        match=r"^the program ran longer than 1\.5 s and was stopped \(the hosted limit; on your own machine "
        r"run with AUTOGRAD_EXPLORER_PROFILE=local, or set AUTOGRAD_EXPLORER_TIMEOUT_S\)$",
    ):
        call(run_python, source, config=SandboxConfig(timeout_s=1.5))
    assert time.monotonic() - started < 15  # generous: a busy machine, not a timing test


def test_cpu_limit_stops_a_busy_worker_before_the_wall_clock():
    with pytest.raises(SandboxError, match=r"ran longer than 1 s of CPU time and was stopped \(.*_CPU_S\)$"):
        call(run_python, "while True:\n    pass", config=SandboxConfig(timeout_s=60, cpu_s=1))


@pytest.mark.parametrize(
    "source", ["x = bytearray(2048 * 1024 * 1024)", "import torch\nx = torch.ones(2 * 1024**3 // 4)"]
)
def test_memory_limit_stops_a_large_allocation(source):
    with pytest.raises(
        SandboxError,
        match=r"^line [12]: the program used more than 256 MB of memory and was stopped "
        r"\(the local limit; set AUTOGRAD_EXPLORER_MEMORY_MB to change it\)$",
    ):
        call(run_python, source, config=SandboxConfig(memory_mb=256, profile="local"))


def test_allocation_within_the_budget_succeeds():
    source = "print(len(bytearray(100 * 1024 * 1024)))"
    assert call(run_python, source, config=SandboxConfig(memory_mb=256)) == [f"{100 * 1024 * 1024}"]


def test_heap_the_process_freed_is_counted_so_it_comes_out_of_the_budget():
    # 200 blocks of 64 KB (below glibc's mmap threshold: they come from the heap),
    # each followed by a kept one of the same size (so the two come from the same place,
    # side by side), so freeing them leaves holes the heap cannot give back.
    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    pairs = [(libc.malloc(64 * 1024), libc.malloc(64 * 1024)) for _ in range(200)]
    before = heap_free_bytes()
    for block, _ in pairs:
        libc.free(block)
    try:
        assert heap_free_bytes() - before >= 200 * 64 * 1024
    finally:
        for _, pin in pairs:
            libc.free(pin)


def test_a_crashing_worker_gives_a_message_and_the_next_call_works():
    with pytest.raises(SandboxError, match=r"^the worker stopped unexpectedly \(SIG(ABRT|SEGV|ILL)\)"):
        call(run_python, "import os\nos.abort()", config=FAST)
    assert call(run_python, "print(1 + 1)", config=FAST) == ["2"]


def test_a_failure_of_ours_in_the_worker_says_what_it_was():
    """Not only its type: `the worker stopped unexpectedly (RuntimeError)` lost the real message."""
    with pytest.raises(SandboxError, match=r"^the worker stopped unexpectedly \(AttributeError: 'dict' "):
        call(decode.footprint, {"nodes": []}, config=FAST)


def test_program_errors_cross_the_process_boundary_with_their_line_and_prints():
    with pytest.raises(ProgramError) as caught:
        call(run_python, "x = 1\nprint('before')\ny = x / 0", config=FAST)
    assert not isinstance(caught.value, SandboxError)
    assert str(caught.value) == "line 3: ZeroDivisionError: division by zero"
    assert caught.value.prints == ["before"]


def test_a_result_that_is_not_json_is_reported():
    # The program replaces what its own job returns with a set, which JSON cannot carry.
    source = "import graphs.worker.program as p\np.Outcome = lambda *args: type('O', (), {'prints': {1}})()"
    with pytest.raises(SandboxError, match="its result could not be sent: TypeError"):
        call(run_python, source, config=FAST)


def test_sandbox_errors_are_program_errors_without_a_position():
    error = SandboxError("the program ran longer than 1 s and was stopped")
    assert isinstance(error, ProgramError)
    assert str(error) == "the program ran longer than 1 s and was stopped"


def test_concurrent_calls_each_get_their_own_result():
    config = SandboxConfig(max_workers=2)
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda n: call(run_python, f"print({n} * 2)", config=config), range(6)))
    assert results == [[f"{2 * n}"] for n in range(6)]


def test_a_full_queue_says_the_server_is_busy():
    config = SandboxConfig(max_workers=1, queue_timeout_s=0.2, timeout_s=5)
    with ThreadPoolExecutor(max_workers=2) as pool:
        slow = pool.submit(call, run_python, "import time\ntime.sleep(3600)", config=config)
        time.sleep(1.0)
        with pytest.raises(SandboxError, match="the server is busy"):
            call(run_python, "x = 1", config=config)
        with pytest.raises(SandboxError, match="ran longer"):
            slow.result()


def test_only_module_level_functions_travel():
    def local() -> None:
        pass

    with pytest.raises(ValueError, match="not a module-level function"):
        call(local, config=FAST)


def test_a_function_the_zygote_never_imported_is_not_imported_for_the_request():
    expected = r"stopped unexpectedly \(KeyError: 'tests.sandbox.test_sandbox'\)"
    with pytest.raises(SandboxError, match=expected):
        call(test_only_module_level_functions_travel, config=FAST)


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"[" * 10_000 + b"]" * 10_000, "nested more than 100 levels"),
        (b"[" * 101 + b"]" * 101, "nested more than 100 levels"),
        (b'"' + b'\\"' * 2_000_000, "not valid JSON"),
        (b"\x80\x04K\x01.", "not valid JSON"),
        (b'{"ok": [1, 2', "not valid JSON"),
    ],
)
def test_bounded_json_refuses_deep_malformed_and_binary_documents(data, reason):
    with pytest.raises(ChannelError, match=reason):
        loads(data)


def test_bounded_json_ignores_brackets_inside_strings_and_keeps_deep_enough_documents():
    assert loads(json.dumps({"ok": "[" * 1000}).encode()) == {"ok": "[" * 1000}
    assert loads(b"[" * 100 + b"]" * 100) is not None


def test_config_reads_environment_variables():
    config = SandboxConfig.from_env(
        {
            "AUTOGRAD_EXPLORER_TIMEOUT_S": "2.5",
            "AUTOGRAD_EXPLORER_MEMORY_MB": "300",
            "AUTOGRAD_EXPLORER_DROP_PRIVILEGES": "no",
            "AUTOGRAD_EXPLORER_TRUSTED": "1",
        }
    )
    assert (config.timeout_s, config.memory_mb, config.drop_privileges, config.trusted) == (
        2.5,
        300,
        False,
        True,
    )
    assert SandboxConfig.from_env({}) == SandboxConfig()
    assert from_environment({"AUTOGRAD_EXPLORER_CPU_S": "3"}, {"cpu_s": "int"}) == {"cpu_s": 3}


@pytest.mark.parametrize(
    "name, raw, reason",
    [
        ("TIMEOUT_S", "soon", "expected a number"),
        ("MEMORY_MB", "-1", "it must be positive"),
        ("DROP_PRIVILEGES", "maybe", "expected 1/0, true/false or yes/no"),
    ],
)
def test_config_rejects_bad_values_naming_the_variable(name, raw, reason):
    with pytest.raises(SandboxError) as caught:
        SandboxConfig.from_env({f"AUTOGRAD_EXPLORER_{name}": raw})
    assert str(caught.value) == f"the server setting AUTOGRAD_EXPLORER_{name}={raw!r} is invalid: {reason}"
