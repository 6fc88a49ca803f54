"""The public path (`graphs.api`) runs programs in the worker, with limits
an operator tunes through environment variables."""

from __future__ import annotations

import re

import pytest

from graphs.api import classic_in_process, classic_source, run_in_process, run_source
from graphs.catalogue import CATALOGUE, TEACHING
from graphs.errors import ProgramError
from graphs.sandbox import SandboxError

# About 20 GFLOP in float64: seconds of work on one thread.
HEAVY = "import torch\na = torch.ones(1000, 1000, dtype=torch.float64)\n" + "".join(
    f"b{i} = a @ a\n" for i in range(9)
)


@pytest.mark.parametrize("entry", TEACHING, ids=[entry.slug for entry in TEACHING])
def test_worker_and_in_process_runs_give_the_same_record(entry):
    assert run_source(entry.source).to_dict() == run_in_process(entry.source).to_dict()


def without_addresses(dot: str) -> str:
    """torchviz names nodes by `id()`, which differs between processes."""
    names: dict[str, str] = {}
    return re.sub(r"\b\d{6,}\b", lambda found: names.setdefault(found.group(), f"node{len(names)}"), dot)


def test_classic_view_comes_from_the_worker_too():
    source = CATALOGUE[0].source
    dot = classic_source(source, show_attrs=True)
    assert "digraph" in dot
    assert without_addresses(dot) == without_addresses(classic_in_process(source, show_attrs=True))


def test_a_failing_program_keeps_its_line_and_prints_through_the_worker():
    with pytest.raises(ProgramError) as caught:
        run_source("import torch\nprint('start')\nx = torch.ones(2) @ torch.ones(3)")
    assert not isinstance(caught.value, SandboxError)
    assert caught.value.line == 3 and "RuntimeError" in caught.value.message
    assert caught.value.prints == ["start"]


def test_a_sandbox_refusal_reaches_the_page_as_one_line():
    with pytest.raises(ProgramError) as caught:
        run_source("x = 1\nopen('/etc/hostname')")
    assert str(caught.value) == "line 2: PermissionError: [Errno 1] Operation not permitted: '/etc/hostname'"


def test_importing_a_module_the_server_did_not_preload_is_a_clean_error():
    with pytest.raises(ProgramError) as caught:
        run_source("import requests")
    assert str(caught.value) == "line 1: ModuleNotFoundError: No module named 'requests'"


def test_wall_clock_limit_from_the_environment_stops_a_heavy_program(monkeypatch):
    monkeypatch.setenv("AUTOGRAD_EXPLORER_TIMEOUT_S", "0.3")
    with pytest.raises(
        SandboxError,
        match=r"^the program ran longer than 0\.3 s and was stopped "
        r"\(the hosted limit; .*AUTOGRAD_EXPLORER_TIMEOUT_S\)$",
    ):
        run_source(HEAVY)


def test_memory_limit_from_the_environment_stops_a_program_with_its_line(monkeypatch):
    monkeypatch.setenv("AUTOGRAD_EXPLORER_MEMORY_MB", "16")
    with pytest.raises(SandboxError) as caught:
        run_source(HEAVY)
    assert caught.value.message == (
        "the program used more than 16 MB of memory and was stopped (the hosted limit; on your own "
        "machine run with AUTOGRAD_EXPLORER_PROFILE=local, or set AUTOGRAD_EXPLORER_MEMORY_MB)"
    )
    assert caught.value.line is not None and caught.value.line >= 2


def test_the_server_keeps_serving_after_a_killed_worker(monkeypatch):
    monkeypatch.setenv("AUTOGRAD_EXPLORER_TIMEOUT_S", "0.3")
    with pytest.raises(SandboxError):
        run_source(HEAVY)
    monkeypatch.delenv("AUTOGRAD_EXPLORER_TIMEOUT_S")
    assert run_source(CATALOGUE[0].source).nodes


def test_a_bad_setting_is_one_message_in_the_page_not_a_crash(monkeypatch):
    monkeypatch.setenv("AUTOGRAD_EXPLORER_MEMORY_MB", "many")
    with pytest.raises(
        SandboxError, match=r"AUTOGRAD_EXPLORER_MEMORY_MB='many' is invalid: expected a whole number"
    ):
        run_source("x = 1")
