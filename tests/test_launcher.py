"""`autograd-explorer` (graphs.launcher): the `streamlit run` command it builds,
and the real app it starts from a directory that is not the checkout."""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path

from serving import free_port, get, serving

from graphs.launcher import APP, TRUSTED_VARIABLE, config_flags, plan

ROOT = Path(__file__).resolve().parent.parent


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


def test_plan_runs_the_app_beside_the_package_on_the_port():
    launch = plan(["--port", "9123"])
    assert launch.argv[:5] == [sys.executable, "-m", "streamlit", "run", str(APP)]
    assert APP == ROOT / "app.py" and APP.is_file()
    assert launch.argv[5:] == [*config_flags(), "--server.port=9123"]
    assert launch.env == {}
    assert plan([]).argv[-1] == "--server.port=8501"


def test_trusted_sets_the_variable_and_other_flags_pass_through_last():
    launch = plan(["--trusted", "--server.headless=false", "--server.address", "0.0.0.0"])
    assert launch.env == {TRUSTED_VARIABLE: "1"}
    assert launch.argv[-3:] == ["--server.headless=false", "--server.address", "0.0.0.0"]
    # Streamlit takes an option's last value, so the user's flag beats the project's.
    assert launch.argv.index("--server.headless=true") < launch.argv.index("--server.headless=false")


def test_launcher_serves_the_app_from_another_directory(tmp_path):
    port = free_port()
    command = [sys.executable, "-m", "graphs.launcher", "--port", str(port), "--server.address", "127.0.0.1"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout, installed or not
    with serving(command, port, tmp_path / "server.log", cwd=tmp_path, env=env) as url:
        assert get(f"{url}/_stcore/health") == b"ok"
        assert b"<title>" in get(url)
    log = (tmp_path / "server.log").read_text()
    assert "You can now view your Streamlit app" in log and "Error" not in log
