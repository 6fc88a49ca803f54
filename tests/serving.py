"""Real servers, browsers and kernels for tests: a server (Streamlit, nginx,
JupyterLab) started on a free local port, awaited until its health page
answers, stopped (with everything it started) after; the Chromium to drive it;
a Jupyter kernel spec that starts this interpreter."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest


def _chromium() -> Path:
    """Debian's Chromium; where the system has none (Ubuntu ships Chromium only
    as a snap), the build `playwright install chromium` put in Playwright's
    cache, which is what scripts/install.sh --dev does there."""
    debian = Path("/usr/bin/chromium")
    if debian.exists():
        return debian
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        return Path(playwright.chromium.executable_path)


# The browser, started as this machine's closed network needs (no background
# connections that would each be refused).
CHROMIUM = _chromium()
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium(module: bool = False) -> None:
    """Skip a browser test where Chromium is missing on a developer's machine,
    fail it in CI, which installs one (`module`: called at a test module's top)."""
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing; CI installs it (bash scripts/install.sh --dev)", pytrace=False)
    pytest.skip(f"{CHROMIUM} is not installed (bash scripts/install.sh --dev)", allow_module_level=module)


STARTUP_S = 120  # a cold start imports torch; a busy 2-core machine needs the margin


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_command(port: int) -> list[str]:
    """`streamlit run app.py` as the README starts it, on 127.0.0.1:`port`."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
    ]


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.read()


def wait_healthy(
    url: str,
    process: subprocess.Popen,
    log: Path,
    timeout_s: float = STARTUP_S,
    health: str = "/_stcore/health",
    answer: bytes = b"ok",
) -> None:
    """Poll `url` + `health` until Streamlit (or a proxy in front of it) says ok (another
    server: until its `health` page contains `answer`); fail with the end of `log` if
    `process` dies or time runs out first."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if answer in get(f"{url}{health}"):
                return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"no healthy server on {url} from {process.args}:\n{log.read_text()[-3000:]}")
        time.sleep(0.5)


@contextmanager
def serving(
    command: list[str], port: int, log: Path, cwd: Path, env: dict[str, str] | None = None, **health
) -> Iterator[str]:
    """Run `command` (which must serve on 127.0.0.1:`port`) and yield its URL once healthy
    (`health`: `wait_healthy`'s page and answer, for a server other than Streamlit)."""
    url = f"http://127.0.0.1:{port}"
    with log.open("w") as out:
        server = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )  # its own group: the sandbox's workers too
        try:
            wait_healthy(url, server, log, **health)
            yield url
        finally:
            with suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


def write_kernel_spec(kernels: Path, name: str, display_name: str, env: dict[str, str] | None = None) -> None:
    """A Jupyter kernel spec in `kernels` (a JUPYTER_PATH's kernels folder) that
    starts this very interpreter, with `env` added to the kernel's environment."""
    spec = kernels / name
    spec.mkdir(parents=True, exist_ok=True)
    kernel = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": display_name,
        "language": "python",
    }
    if env:
        kernel["env"] = env
    (spec / "kernel.json").write_text(json.dumps(kernel))
