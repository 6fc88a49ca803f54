"""The worker's own limits trip, with the messages users see.

The snippet language refuses hostile programs before they run, so these
tests send test-only functions (defined below, imported by the worker)
through the sandbox's generic `call` to prove the second wall on its own:
memory, wall-clock and CPU limits, no files, no sockets, no processes, and
a crash that leaves the caller unharmed.
"""
from __future__ import annotations

import os
import resource
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from graphs.sandbox import SandboxConfig, SandboxError, call
from graphs.snippet import SnippetError

FAST = SandboxConfig(timeout_s=3.0)


# --- test-only tasks, run inside the worker -------------------------------

def add(a: int, b: int) -> int:
    return a + b


def worker_facts() -> dict:
    import torch

    return {"threads": torch.get_num_threads(), "uid": os.getuid(), "pid": os.getpid(),
            "nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
            "fsize": resource.getrlimit(resource.RLIMIT_FSIZE)[0],
            "address_space": resource.getrlimit(resource.RLIMIT_AS)[0],
            "cuda": torch.cuda.is_available()}


def sleep_forever() -> None:
    time.sleep(3600)


def spin() -> None:
    while True:
        pass


def allocate_bytes(megabytes: int) -> int:
    return len(bytearray(megabytes * 1024 * 1024))


def allocate_tensor(elements: int) -> float:
    import torch

    return float(torch.ones(elements).sum())


def write_file(path: str) -> str:
    with open(path, "w") as handle:
        handle.write("escaped")
    return "written"


def open_socket() -> str:
    socket.create_connection(("127.0.0.1", 9), timeout=1)
    return "connected"


def start_process(marker: str) -> str:
    os.system(f"touch {marker}")
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    return "forked"


def abort() -> None:
    os.abort()


def raise_snippet_error() -> None:
    raise SnippetError("a message from the worker", line=3, col=7)


def unpicklable_result():
    return lambda: None


# --- tests ------------------------------------------------------------------

def test_call_returns_the_result_from_another_process():
    assert call(add, 2, 3, config=FAST) == 5
    assert call(worker_facts, config=FAST)["pid"] != os.getpid()


def test_worker_is_single_threaded_cpu_only_and_locked_down():
    facts = call(worker_facts, config=FAST)
    assert facts["threads"] == 1
    assert facts["cuda"] is False
    assert facts["nofile"] == 4  # stdin, stdout, stderr, the result pipe
    assert facts["fsize"] == 0
    assert 0 < facts["address_space"] < 8 * 1024**3
    if os.geteuid() == 0:
        assert facts["uid"] != 0


@pytest.mark.parametrize("task", [sleep_forever, spin])
def test_wall_clock_timeout_kills_the_worker(task):
    started = time.monotonic()
    with pytest.raises(SandboxError, match=r"^the program ran longer than 1\.5 s and was stopped$"):
        call(task, config=SandboxConfig(timeout_s=1.5))
    assert time.monotonic() - started < 5


def test_cpu_limit_stops_a_busy_worker_before_the_wall_clock():
    with pytest.raises(SandboxError, match=r"ran longer than 1 s of CPU time"):
        call(spin, config=SandboxConfig(timeout_s=30, cpu_s=1))


@pytest.mark.parametrize("task, size", [(allocate_bytes, 2048), (allocate_tensor, 2 * 1024**3 // 4)])
def test_memory_limit_stops_a_large_allocation(task, size):
    with pytest.raises(SandboxError, match=r"^the program used more than 256 MB of memory and was stopped$"):
        call(task, size, config=SandboxConfig(memory_mb=256))


def test_allocation_within_the_budget_succeeds():
    assert call(allocate_bytes, 100, config=SandboxConfig(memory_mb=256)) == 100 * 1024 * 1024


@pytest.mark.parametrize("drop", [True, False])
def test_worker_cannot_create_files(tmp_path, drop):
    tmp_path.chmod(0o777)  # so only the sandbox, not permissions, stands in the way
    marker = tmp_path / "marker"
    with pytest.raises(SandboxError, match=r"^the worker stopped unexpectedly \((OSError|PermissionError)\)"):
        call(write_file, str(marker), config=SandboxConfig(drop_privileges=drop))
    assert not marker.exists()


def test_worker_cannot_open_sockets():
    with pytest.raises(SandboxError, match=r"stopped unexpectedly \(OSError\)"):
        call(open_socket, config=FAST)


def test_worker_cannot_start_processes(tmp_path):
    tmp_path.chmod(0o777)
    marker = tmp_path / "ran"
    with pytest.raises(SandboxError, match=r"stopped unexpectedly \(BlockingIOError\)"):
        call(start_process, str(marker), config=FAST)
    assert not marker.exists()


def test_a_crashing_worker_gives_a_message_and_the_next_call_works():
    with pytest.raises(SandboxError, match=r"^the worker stopped unexpectedly \(SIGABRT\)"):
        call(abort, config=FAST)
    assert call(add, 1, 1, config=FAST) == 2


def test_snippet_errors_cross_the_process_boundary_with_their_position():
    with pytest.raises(SnippetError) as caught:
        call(raise_snippet_error, config=FAST)
    assert not isinstance(caught.value, SandboxError)
    assert (caught.value.line, caught.value.col) == (3, 7)
    assert str(caught.value) == "line 3, col 7: a message from the worker"


def test_an_unsendable_result_is_reported():
    with pytest.raises(SandboxError, match="its result could not be sent"):
        call(unpicklable_result, config=FAST)


def test_sandbox_errors_are_snippet_errors_without_a_position():
    error = SandboxError("the program ran longer than 1 s and was stopped")
    assert isinstance(error, SnippetError)
    assert str(error) == "the program ran longer than 1 s and was stopped"


def test_concurrent_calls_each_get_their_own_result():
    config = SandboxConfig(max_workers=2)
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda n: call(add, n, n, config=config), range(6)))
    assert results == [2 * n for n in range(6)]


def test_a_full_queue_says_the_server_is_busy():
    config = SandboxConfig(max_workers=1, queue_timeout_s=0.2, timeout_s=2)
    with ThreadPoolExecutor(max_workers=2) as pool:
        slow = pool.submit(call, sleep_forever, config=config)
        time.sleep(0.5)
        with pytest.raises(SandboxError, match="the server is busy"):
            call(add, 1, 1, config=config)
        with pytest.raises(SandboxError, match="ran longer"):
            slow.result()


def test_config_reads_environment_variables():
    config = SandboxConfig.from_env({"AUTOGRAD_EXPLORER_TIMEOUT_S": "2.5",
                                     "AUTOGRAD_EXPLORER_MEMORY_MB": "300",
                                     "AUTOGRAD_EXPLORER_DROP_PRIVILEGES": "no"})
    assert (config.timeout_s, config.memory_mb, config.drop_privileges) == (2.5, 300, False)
    assert SandboxConfig.from_env({}) == SandboxConfig()


@pytest.mark.parametrize("name, raw, reason", [("TIMEOUT_S", "soon", "expected a number"),
                                               ("MEMORY_MB", "-1", "it must be positive"),
                                               ("DROP_PRIVILEGES", "maybe", "expected 1/0, true/false or yes/no")])
def test_config_rejects_bad_values_naming_the_variable(name, raw, reason):
    with pytest.raises(SandboxError) as caught:
        SandboxConfig.from_env({f"AUTOGRAD_EXPLORER_{name}": raw})
    assert str(caught.value) == f"the server setting AUTOGRAD_EXPLORER_{name}={raw!r} is invalid: {reason}"
