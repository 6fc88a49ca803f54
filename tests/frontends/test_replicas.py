"""Scale-out: two `streamlit run app.py` replicas behind a real nginx (the
Debian package) running deploy/nginx.conf, and real browsers.

The config is the production one; the test only points its `listen` line and
its upstream at free ports on 127.0.0.1. nginx's access log (the config's
own `replicas` format: the affinity key and the upstream address of every
request) shows which replica served what, so the test can prove that

* a browser that arrives without the affinity cookie gets one, and every
  request of its session (page, assets, the /_stcore/stream websocket)
  reaches one replica;
* two browsers holding different keys are served by different replicas, and
  both draw the graph.

Every process is started under a fixture that stops it in `finally`; waits
are bounded and generous (two replicas each import torch on a 2-core box).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from components.picker import DEFAULT_ENTRY
from graphs.api import run_source
from graphs.catalogue import get
from tests.serving import CHROMIUM, CHROMIUM_ARGS, app_command, free_port, wait_healthy

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
STARTUP_S = 180
FIRST_DRAW_MS = 240_000
LOG_LINE = re.compile(
    r'"(?P<method>\S+) (?P<path>\S+) [^"]*" (?P<status>\d+) '
    r"replica_key=(?P<key>\S+) upstream=(?P<upstream>\S+)"
)

for missing, package in ((not CHROMIUM.exists(), "chromium"), (not Path(NGINX).exists(), "nginx")):
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{package} is missing; CI must install the Debian package", pytrace=False)
        pytest.skip(f"{package} is not installed (apt-get install {package})", allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402


@contextmanager
def running(command: list[str], log: Path, stop_signal: int = signal.SIGTERM) -> Iterator[subprocess.Popen]:
    """A process with its output in `log`, stopped (then killed) however the block ends."""
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            if process.poll() is None:
                process.send_signal(stop_signal)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


@pytest.fixture(scope="module")
def replicas(tmp_path_factory) -> Iterator[list[str]]:
    """Two app replicas on free ports; yields their addresses ("127.0.0.1:P")."""
    logs = tmp_path_factory.mktemp("replicas")
    ports = [free_port(), free_port()]
    commands = [app_command(port) for port in ports]
    with (
        running(commands[0], logs / "replica0.log") as first,
        running(commands[1], logs / "replica1.log") as second,
    ):
        for port, process, index in ((ports[0], first, 0), (ports[1], second, 1)):
            wait_healthy(f"http://127.0.0.1:{port}", process, logs / f"replica{index}.log", STARTUP_S)
        yield [f"127.0.0.1:{port}" for port in ports]


def config_for(replicas: list[str], port: int) -> str:
    """deploy/nginx.conf with its listen line and upstream servers pointed at this test's ports."""
    text = CONFIG.read_text()
    for line, replacement in (
        ("listen 8080;", f"listen 127.0.0.1:{port};"),
        ("server app:8501;", "\n        ".join(f"server {a};" for a in replicas)),
    ):
        assert text.count(line) == 1, f"deploy/nginx.conf no longer has exactly one {line!r}"
        text = text.replace(line, replacement)
    return text


@pytest.fixture(scope="module")
def proxy(replicas, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """nginx in the foreground, as the current user, with its own prefix, pid
    and logs; yields its URL and its access log."""
    prefix = tmp_path_factory.mktemp("nginx")
    port = free_port()
    (prefix / "nginx.conf").write_text(config_for(replicas, port))
    globals_ = f"daemon off; pid {prefix / 'nginx.pid'};"
    if os.geteuid() == 0:  # else workers would run as an unprivileged user that cannot enter tmp_path
        globals_ += " user root;"
    log = prefix / "nginx.log"
    command = [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", "stderr", "-g", globals_]
    with running(command, log, stop_signal=signal.SIGQUIT) as nginx:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, nginx, log, STARTUP_S)
        yield url, log


def requests_logged(log: Path) -> list[dict]:
    return [match.groupdict() for match in map(LOG_LINE.search, log.read_text().splitlines()) if match]


def served(log: Path, key: str, path: str = "/", timeout_s: float = 30) -> list[dict]:
    """The logged requests of affinity key `key`, once one for exactly `path` is there.

    nginx writes a request's line after the response has gone out, so a
    client can hold its answer before the line exists; and a websocket is
    logged only when it closes. Hence the (bounded) wait."""
    deadline = time.monotonic() + timeout_s
    while True:
        lines = [line for line in requests_logged(log) if line["key"] == key]
        if any(line["path"].split("?")[0] == path for line in lines):
            return lines
        if time.monotonic() > deadline:
            pytest.fail(f"nginx logged no request for {path} with key {key}")
        time.sleep(0.25)


def upstreams_of(log: Path, key: str, path: str = "/") -> set[str]:
    return {line["upstream"] for line in served(log, key, path)}


def get_with_cookie(url: str, key: str | None) -> urllib.request.addinfourl:
    request = urllib.request.Request(url, headers={"Cookie": f"ae_replica={key}"} if key else {})
    with urllib.request.urlopen(request, timeout=30) as answer:
        answer.read()
        return answer


def affinity_cookies(answer) -> list[str]:
    """nginx's Set-Cookie headers (Streamlit sets its own XSRF cookie too)."""
    return [value for value in answer.headers.get_all("Set-Cookie") or [] if value.startswith("ae_replica=")]


def keys_on_each_replica(url: str, log: Path, replicas: list[str]) -> dict[str, str]:
    """One affinity key per replica, found by asking nginx: consistent hashing
    spreads keys over replicas, so a few keys cover both (bounded: 64 tries)."""
    found: dict[str, str] = {}
    for attempt in range(64):
        key = f"probe{attempt}"
        get_with_cookie(f"{url}/_stcore/health", key)
        [upstream] = upstreams_of(log, key, "/_stcore/health")
        found.setdefault(upstream, key)
        if len(found) == len(replicas):
            return found
    pytest.fail(f"64 keys all hashed to {set(found)}")


def test_first_visit_gets_an_affinity_cookie_and_keeps_its_replica(proxy):
    url, log = proxy
    [cookie] = affinity_cookies(get_with_cookie(f"{url}/", None))
    match = re.fullmatch(r"ae_replica=([0-9a-f]{32}); Path=/; HttpOnly; SameSite=Lax", cookie)
    assert match, cookie
    key = match.group(1)
    assert affinity_cookies(get_with_cookie(f"{url}/_stcore/health", key)) == []  # it has one
    served(log, key, "/_stcore/health")
    assert len(upstreams_of(log, key, "/")) == 1 and len(served(log, key, "/")) == 2


def test_two_browsers_on_two_replicas_both_draw_the_graph(proxy, replicas):
    url, log = proxy
    keys = keys_on_each_replica(url, log, replicas)
    expected_nodes = len(run_source(get(DEFAULT_ENTRY).source).nodes)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            pages = []
            for key in keys.values():
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                context.add_cookies([{"name": "ae_replica", "value": key, "url": url}])
                page = context.new_page()
                page.goto(url)
                pages.append(page)
            for page in pages:
                expect(page.locator("g.node")).to_have_count(expected_nodes, timeout=FIRST_DRAW_MS)
        finally:
            browser.close()  # closes the websockets, so nginx logs them
    for replica, key in keys.items():
        assert upstreams_of(log, key, "/_stcore/stream") == {replica}


def test_a_browser_without_a_cookie_is_pinned_by_the_one_nginx_sets(proxy):
    url, log = proxy
    expected_nodes = len(run_source(get(DEFAULT_ENTRY).source).nodes)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            page.goto(url)
            expect(page.locator("g.node")).to_have_count(expected_nodes, timeout=FIRST_DRAW_MS)
            [key] = [cookie["value"] for cookie in context.cookies() if cookie["name"] == "ae_replica"]
        finally:
            browser.close()
    requests = served(log, key, "/_stcore/stream")
    assert len(requests) > 3 and len({line["upstream"] for line in requests}) == 1
