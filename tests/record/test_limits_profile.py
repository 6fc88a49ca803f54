"""The limits profile (AUTOGRAD_EXPLORER_PROFILE): its values, the variables on
top, each front end's default, the message a stopped program shows, that every
hosted recipe sets `hosted`, and a real program that only `local` lets finish."""

from __future__ import annotations

import re
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from graphs.api import run_source
from graphs.cli import commands as cli
from graphs.notebook import explorer
from graphs.sandbox import SandboxConfig, SandboxError
from graphs.sandbox.config import (
    HOSTED,
    LOCAL,
    LOCAL_MEMORY_MAX_MB,
    LOCAL_MEMORY_MIN_MB,
    PROFILE_VARIABLE,
    front_end_default,
    local_memory_mb,
)

ROOT = Path(__file__).resolve().parents[2]


def limits(config: SandboxConfig) -> tuple[float, int, int, str]:
    return config.timeout_s, config.cpu_s, config.memory_mb, config.profile


def test_hosted_is_the_strict_defaults_and_what_nothing_set_gives():
    assert limits(SandboxConfig.from_env({PROFILE_VARIABLE: "hosted"})) == (10.0, 10, 512, HOSTED)
    assert (
        SandboxConfig.from_env({}) == SandboxConfig() == SandboxConfig.from_env({PROFILE_VARIABLE: "hosted"})
    )


def test_local_gives_ten_minutes_and_half_the_machines_memory():
    config = SandboxConfig.from_env({PROFILE_VARIABLE: " Local "})
    assert limits(config) == (600.0, 600, local_memory_mb(), LOCAL)
    assert LOCAL_MEMORY_MIN_MB <= config.memory_mb <= LOCAL_MEMORY_MAX_MB
    # Only the limits change: the worker stays locked in, whatever the profile.
    assert (config.trusted, config.drop_privileges, config.max_result_mb) == (False, True, 16)


@pytest.mark.parametrize("ram_mb, budget", [(512, 512), (1024, 512), (8192, 4096), (1024 * 1024, 16 * 1024)])
def test_the_local_memory_budget_is_half_the_ram_within_bounds(ram_mb, budget):
    assert local_memory_mb(ram_mb) == budget


def test_the_individual_variables_override_the_profiles_values():
    local = SandboxConfig.from_env({PROFILE_VARIABLE: "local", "AUTOGRAD_EXPLORER_TIMEOUT_S": "30"})
    assert limits(local) == (30.0, 600, local_memory_mb(), LOCAL)
    hosted = SandboxConfig.from_env({PROFILE_VARIABLE: "hosted", "AUTOGRAD_EXPLORER_MEMORY_MB": "256"})
    assert limits(hosted) == (10.0, 10, 256, HOSTED)


def test_a_bad_profile_is_one_line_naming_the_variable():
    with pytest.raises(SandboxError) as caught:
        SandboxConfig.from_env({PROFILE_VARIABLE: "generous"})
    assert str(caught.value) == (
        "the server setting AUTOGRAD_EXPLORER_PROFILE='generous' is invalid: expected hosted or local"
    )


def test_a_front_ends_default_yields_to_the_variable_and_ends_with_its_block():
    with front_end_default(LOCAL):
        assert SandboxConfig.from_env({}).profile == LOCAL
        assert SandboxConfig.from_env({PROFILE_VARIABLE: "hosted"}).profile == HOSTED
    assert SandboxConfig.from_env({}).profile == HOSTED


@pytest.fixture
def no_profile(monkeypatch):
    """No profile in this process's environment; one a test sets is removed afterwards."""
    monkeypatch.delenv(PROFILE_VARIABLE, raising=False)


def cli_profile(monkeypatch, *args: str) -> str:
    """The profile `python -m graphs run` would run its program with."""
    seen = []
    monkeypatch.setattr(cli, "cmd_run", lambda _: seen.append(SandboxConfig.from_env().profile))
    assert cli.main(["run", "prog.py", *args]) == 0
    return seen[0]


def test_the_command_line_defaults_to_local_and_its_flag_chooses(monkeypatch, no_profile):
    assert cli_profile(monkeypatch) == LOCAL
    assert cli_profile(monkeypatch, "--profile", "hosted") == HOSTED  # it sets the variable...
    assert cli_profile(monkeypatch) == HOSTED  # ...which beats the front end's default
    monkeypatch.setenv(PROFILE_VARIABLE, "hosted")
    assert cli_profile(monkeypatch, "--profile", "local") == LOCAL  # and the flag beats the variable


def test_a_notebooks_program_text_runs_under_local_unless_the_variable_says_hosted(monkeypatch, no_profile):
    seen = []
    monkeypatch.setattr(explorer, "run_source", lambda _: seen.append(SandboxConfig.from_env().profile))
    explorer.explore("x = 1")
    monkeypatch.setenv(PROFILE_VARIABLE, "hosted")
    explorer.explore("x = 1")
    assert seen == [LOCAL, HOSTED]


def test_the_app_gets_hosted_unless_told(no_profile):
    """The app sets no front-end default: `streamlit run app.py` may face strangers."""
    assert "front_end_default" not in (ROOT / "app.py").read_text(encoding="utf-8")
    assert SandboxConfig.from_env().profile == HOSTED


def test_the_message_says_which_limit_and_how_to_change_it():
    assert SandboxConfig().limit_hint("timeout_s") == (
        "(the hosted limit; on your own machine run with AUTOGRAD_EXPLORER_PROFILE=local, "
        "or set AUTOGRAD_EXPLORER_TIMEOUT_S)"
    )
    assert SandboxConfig(profile=LOCAL).limit_hint("memory_mb") == (
        "(the local limit; set AUTOGRAD_EXPLORER_MEMORY_MB to change it)"
    )


# --- every hosted recipe sets the hosted profile -------------------------------------------


def dockerfile_env() -> dict[str, str]:
    """The variables the Dockerfile's ENV instructions set (continuation lines joined)."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    found = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            found.update(pair.split("=", 1) for pair in line[4:].split())
    return found


def test_the_image_sets_hosted():
    assert dockerfile_env()[PROFILE_VARIABLE] == "hosted"


def test_compose_and_kubernetes_set_hosted():
    compose = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    assert re.findall(rf"^\s+{PROFILE_VARIABLE}:\s*\"?(\w+)\"?", compose, re.MULTILINE) == ["hosted"]
    k8s = (ROOT / "deploy" / "k8s.yaml").read_text(encoding="utf-8")
    assert re.findall(rf"name: {PROFILE_VARIABLE}, value: \"?(\w+)\"?", k8s) == ["hosted"]


def hosting_section(title: str) -> str:
    page = (ROOT / "docs" / "hosting.md").read_text(encoding="utf-8")
    return page.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_community_cloud_secrets_set_hosted():
    block = re.search(r"```toml\n(.*?)```", hosting_section("Streamlit Community Cloud"), re.DOTALL)
    secrets = tomllib.loads(re.sub(r"^ +", "", block.group(1), flags=re.MULTILINE))
    assert secrets[PROFILE_VARIABLE] == "hosted"


def test_the_replicas_started_by_hand_set_hosted():
    """They listen on 127.0.0.1 behind nginx: the address says nothing about who reaches them."""
    blocks = re.findall(
        r"```bash\n(.*?)```", hosting_section("More students: replicas behind nginx"), re.DOTALL
    )
    starts = [line for block in blocks for line in block.splitlines() if "streamlit run" in line]
    assert starts and all(f"{PROFILE_VARIABLE}=hosted" in line for line in starts)


# --- a real program of ~12 s ------------------------------------------------------------------

TWELVE_SECONDS = """\
import time

import torch

w = torch.ones(8, 8, requires_grad=True)
x = torch.ones(8, 8)
start = time.monotonic()
while time.monotonic() - start < 12:  # a little compute, mostly sleep: the wall clock stops it
    x = (x @ x).tanh()
    time.sleep(0.05)
(w * x).sum().backward()
print("trained")
"""


def run_under(profile: str | None) -> str:
    """Run `TWELVE_SECONDS` as the app does (`run_source`), under the front end
    default `profile` (None: none, as in the app); its prints or its error."""
    try:
        if profile is None:
            return run_source(TWELVE_SECONDS).prints[0]
        with front_end_default(profile):  # this thread's own: the threads run side by side
            return run_source(TWELVE_SECONDS).prints[0]
    except SandboxError as exc:
        return str(exc)


def test_a_twelve_second_program_finishes_locally_and_is_stopped_by_the_hosted_limit(no_profile):
    with ThreadPoolExecutor(2) as pool:  # side by side: the test takes one run's time, not two
        local, app = pool.map(run_under, [LOCAL, None])
    assert local == "trained"
    assert app == (
        "the program ran longer than 10 s and was stopped (the hosted limit; on your own machine "
        "run with AUTOGRAD_EXPLORER_PROFILE=local, or set AUTOGRAD_EXPLORER_TIMEOUT_S)"
    )
