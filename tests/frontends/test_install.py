"""Installing as a newcomer does, on this machine, with the system Python.

A fresh clone of this checkout's HEAD, `scripts/install.sh` run with a bare
PATH and Debian's own /usr/bin/python3 (PEP 668 managed: pip refuses to
install outside a virtual environment), then the `.venv` it made must import
torch (the CPU build), Streamlit and the project, have a working
`autograd-explorer`, and serve the app. And `pip install ".[app]"` into a new
virtual environment (on top of the clone's packages, so torch is not
installed twice) must give the same command, working from any directory.

Slow by nature (one real install of torch and the rest: about a minute here
with pip's cache and the local torch wheel), but nothing in it depends on
timing.
"""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from graphs.catalogue import CATALOGUE
from tests.serving import free_port, get, serving

ROOT = Path(__file__).resolve().parents[2]
SYSTEM_PYTHON = Path("/usr/bin/python3")
BARE_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
INSTALL_S = 900


def newcomer_env() -> dict[str, str]:
    """A login shell's environment: a bare PATH, HOME (pip's cache and settings), pip's own variables."""
    env = {"PATH": BARE_PATH, "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8"}
    env.update({name: value for name, value in os.environ.items() if name.startswith("PIP_")})
    return env


def run(command: list[str], cwd: Path, timeout: float = 120) -> str:
    """`command`'s output; a failure shows the end of it."""
    done = subprocess.run(
        command,
        cwd=cwd,
        env=newcomer_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{output[-4000:]}"
    return output


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    """This checkout's HEAD, cloned the way a newcomer gets it."""
    if not SYSTEM_PYTHON.exists():
        pytest.skip(f"{SYSTEM_PYTHON} is absent: no system Python to install with")
    target = tmp_path_factory.mktemp("newcomer") / "autograd-explorer"
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    subprocess.run(["git", "clone", "--quiet", "--no-checkout", str(ROOT), str(target)], check=True)
    subprocess.run(["git", "checkout", "--quiet", head], cwd=target, check=True)
    return target


def install(clone: Path) -> str:
    return run(["bash", "scripts/install.sh"], clone, timeout=INSTALL_S)


def installed(clone: Path) -> Path:
    """The clone's .venv, installed by an earlier test or now (when a test runs alone)."""
    venv = clone / ".venv"
    if not (venv / "bin" / "python").exists():
        install(clone)
    return venv


def test_install_script_builds_a_working_venv_with_the_system_python(clone, tmp_path):
    # A newcomer's clone has no .venv: CI's own run of scripts/test.sh on a fresh clone is that
    # case. Here the clone carries a broken one (its Python gone, as after an upgrade), which the
    # script must replace by taking the same path.
    (clone / ".venv" / "bin").mkdir(parents=True)
    (clone / ".venv" / "bin" / "python").symlink_to("/nonexistent/python3")
    first = install(clone)
    assert "install: .venv is broken" in first
    assert f"install: creating .venv with {SYSTEM_PYTHON}" in first

    venv_python = clone / ".venv" / "bin" / "python"
    facts = run(
        [
            str(venv_python),
            "-c",
            "import sys, torch, streamlit, graphs.api; "
            "print(sys.base_prefix, torch.__version__, torch.version.cuda, graphs.api.__file__)",
        ],
        clone,
    ).split()
    assert facts[0] == "/usr"  # Debian's Python under the venv
    assert facts[1].startswith("2.13.0") and facts[2] == "None"  # the CPU build of the pinned torch
    assert Path(facts[3]) == clone / "graphs" / "api.py"  # the clone itself, editable

    assert "usage: autograd-explorer" in run(
        [str(clone / ".venv" / "bin" / "autograd-explorer"), "--help"], clone
    )
    port = free_port()
    command = [
        str(clone / ".venv" / "bin" / "autograd-explorer"),
        "--port",
        str(port),
        "--server.address",
        "127.0.0.1",
    ]
    with serving(command, port, tmp_path / "app.log", cwd=tmp_path, env=newcomer_env()) as url:
        assert get(f"{url}/_stcore/health") == b"ok"


def test_install_script_reuses_a_healthy_venv(clone):
    venv = installed(clone)
    again = install(clone)
    assert "install: reusing .venv" in again and "creating" not in again
    run([str(venv / "bin" / "python"), "-c", "import torch, streamlit, graphs"], clone)


def test_pip_install_gives_a_command_that_works_from_anywhere(clone, tmp_path):
    """`pip install .` into a new venv that sees the clone's installed packages (torch and all,
    at the pins) through a .pth file, so pip installs only the project: its wheel must carry
    app.py, the Streamlit settings and the catalogue programs, and its command must work."""
    below_python = installed(clone) / "bin" / "python"
    venv = tmp_path / "venv"
    run([str(SYSTEM_PYTHON), "-m", "venv", str(venv)], tmp_path)
    python = str(venv / "bin" / "python")
    purelib = "import sysconfig; print(sysconfig.get_path('purelib'))"
    site = Path(run([python, "-c", purelib], tmp_path).strip())
    below = run([str(below_python), "-c", purelib], tmp_path).strip()
    (site / "packages-below.pth").write_text(below + "\n")
    pins = ["--constraint", str(clone / "requirements.txt")]
    run([python, "-m", "pip", "install", "--quiet", *pins, f"{clone}[app]"], tmp_path, timeout=INSTALL_S)

    where = run(
        [
            python,
            "-c",
            "import torch, graphs.launcher as launcher; "
            "print(launcher.APP, launcher.CONFIG, launcher.CONFIG.is_symlink(), torch.version.cuda)",
        ],
        tmp_path,
    ).split()
    assert where[0] == str(site / "app.py") and where[1] == str(site / "graphs" / "streamlit_config.toml")
    assert where[2:] == ["False", "None"]  # the settings as a file (not the checkout's link); CPU torch
    listed = run([python, "-m", "graphs", "list"], tmp_path).splitlines()
    assert [line.split()[0] for line in listed] == [entry.slug for entry in CATALOGUE]  # programs shipped
    assert web_assets(clone) - {Path("editor/build.sh"), Path("editor/package.json")} <= web_assets(site)

    port = free_port()
    command = [str(venv / "bin" / "autograd-explorer"), "--port", str(port), "--server.address", "127.0.0.1"]
    with serving(command, port, tmp_path / "app.log", cwd=tmp_path, env=newcomer_env()) as url:
        assert get(f"{url}/_stcore/health") == b"ok"
        assert b"<title>" in get(url)


def web_assets(root: Path) -> set[Path]:
    """The browser's files under `root`'s graphs/web (the editor's folder too)."""
    web = root / "graphs" / "web"
    return {
        path.relative_to(web)
        for path in web.rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    }


def names(requirements: list[str]) -> set[str]:
    """Distribution names of requirement lines, normalised (PEP 503), without pins or markers."""
    found = (re.match(r"[A-Za-z0-9._-]+", line.strip()) for line in requirements)
    return {re.sub(r"[-_.]+", "-", match.group()).lower() for match in found if match}


def pinned(path: Path) -> set[str]:
    return names([line for line in path.read_text().splitlines() if line.strip()[:1] not in ("#", "-", "")])


def test_the_package_declares_every_pinned_requirement():
    """pyproject's ranges and the pinned files name the same packages: a dependency added to
    one and not the other fails here, not on a user's machine."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    assert names(project["dependencies"]) | names(extras["app"]) == pinned(ROOT / "requirements.txt")
    assert names(extras["dev"]) - {"autograd-explorer"} == pinned(ROOT / "requirements-dev.txt")
