"""`autograd-explorer` (graphs.launcher): the `streamlit run` command it builds,
and the real app it starts from a directory that is not the checkout."""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path

import pytest

from graphs.launcher import APP, TRUSTED_VARIABLE, chosen_address, config_flags, plan
from graphs.sandbox.config import PROFILE_VARIABLE
from tests.serving import free_port, get, serving

ROOT = Path(__file__).resolve().parents[2]


def project_settings() -> dict[str, object]:
    """`.streamlit/config.toml` as `section.option` -> value."""
    with (ROOT / ".streamlit" / "config.toml").open("rb") as file:
        sections = tomllib.load(file)
    return {
        f"{section}.{option}": value
        for section, options in sections.items()
        for option, value in options.items()
    }


def test_every_project_setting_becomes_a_flag():
    settings = project_settings()
    assert {
        "server.fileWatcherType",
        "server.headless",
        "runner.postScriptGC",
        "browser.gatherUsageStats",
        "client.toolbarMode",
        "theme.base",
    } <= settings.keys()
    expected = [
        f"--{name}={str(value).lower() if isinstance(value, bool) else value}"
        for name, value in settings.items()
    ]
    assert config_flags() == expected
    assert "--runner.postScriptGC=false" in expected and "--client.toolbarMode=viewer" in expected


def test_plan_runs_the_app_beside_the_package_on_localhost_and_the_port_with_local_limits():
    launch = plan(["--port", "9123"], environ={})
    assert launch.argv[:5] == [sys.executable, "-m", "streamlit", "run", str(APP)]
    assert APP == ROOT / "app.py" and APP.is_file()
    assert launch.argv[5:] == ["--server.address=localhost", *config_flags(), "--server.port=9123"]
    assert launch.env == {PROFILE_VARIABLE: "local"}
    assert "local limits" in launch.note and "localhost only" in launch.note
    assert plan([], environ={}).argv[-1] == "--server.port=8501"


@pytest.mark.parametrize(
    "args, environ",
    [
        (["--server.address", "0.0.0.0"], {}),
        (["--server.address=127.0.0.1"], {}),  # perhaps behind a proxy: chosen, so not trusted to be private
        ([], {"STREAMLIT_SERVER_ADDRESS": "0.0.0.0"}),
    ],
)
def test_an_address_the_user_chose_gets_the_hosted_limits(args, environ):
    launch = plan(args, environ)
    assert launch.env == {PROFILE_VARIABLE: "hosted"}
    assert "--server.address=localhost" not in launch.argv
    assert "hosted limits" in launch.note and "--profile local" in launch.note


def test_the_flag_then_the_variable_beat_the_address_rule():
    public = ["--server.address", "0.0.0.0"]
    assert plan(["--profile", "local", *public], environ={}).env == {PROFILE_VARIABLE: "local"}
    assert plan(["--profile", "hosted"], environ={PROFILE_VARIABLE: "local"}).env == {
        PROFILE_VARIABLE: "hosted"
    }
    chosen = plan(public, environ={PROFILE_VARIABLE: "local"})
    assert chosen.env == {} and PROFILE_VARIABLE in chosen.note  # the user's own setting, left as it is


def test_the_address_is_streamlits_last_one():
    assert chosen_address(["--server.port=1", "--theme.base=dark"]) is None
    assert chosen_address(["--server.address", "0.0.0.0", "--server.address=localhost"]) == "localhost"
    assert chosen_address(["--server.address=::1", "--server.address", "10.0.0.2"]) == "10.0.0.2"


def test_trusted_sets_the_variable_and_other_flags_pass_through_last():
    launch = plan(["--trusted", "--server.headless=false", "--server.address", "0.0.0.0"], environ={})
    assert launch.env == {TRUSTED_VARIABLE: "1", PROFILE_VARIABLE: "hosted"}
    assert launch.argv[-3:] == ["--server.headless=false", "--server.address", "0.0.0.0"]
    # Streamlit takes an option's last value, so the user's flag beats the project's.
    assert launch.argv.index("--server.headless=true") < launch.argv.index("--server.headless=false")


def listening_addresses(port: int) -> set[str]:
    """The addresses (as /proc/net/tcp* spells them, hex) with a socket listening on `port`."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


LOOPBACK = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1 and ::1


def test_launcher_serves_the_app_from_another_directory_on_localhost_only(tmp_path):
    port = free_port()
    command = [sys.executable, "-m", "graphs.launcher", "--port", str(port)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout, installed or not
    env.pop(PROFILE_VARIABLE, None)
    with serving(command, port, tmp_path / "server.log", cwd=tmp_path, env=env) as url:
        assert get(f"{url}/_stcore/health") == b"ok"
        assert b"<title>" in get(url)
        assert listening_addresses(port) and listening_addresses(port) <= LOOPBACK
    log = (tmp_path / "server.log").read_text()
    assert "You can now view your Streamlit app" in log and "Error" not in log
    assert "autograd-explorer: local limits for programs: the server listens on localhost only" in log
