"""A long training program in a real browser: the progress bar advances and
the loss curve grows while it runs; Stop ends it and draws the graph of what ran."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from components.share import encode_code
from tests.serving import CHROMIUM, CHROMIUM_ARGS, app_command, free_port, require_chromium, serving

ROOT = Path(__file__).resolve().parents[2]
WAIT_MS = 60_000
FIRST_RUN_MS = 180_000
# 400 steps of 50 ms: about 20 s, most of it asleep (the machine is shared).
TRAINING = """import time
import torch
w = torch.tensor([1.0, -2.0, 0.5], requires_grad=True)
for step in range(400):
    loss = (w * w).sum() + 1.0
    loss.backward()
    with torch.no_grad():
        w -= 0.01 * w.grad
        w.grad.zero_()
    time.sleep(0.05)
"""

require_chromium(module=True)

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """The app under the local limits (the hosted ones stop a program at 10 s)."""
    port = free_port()
    env = {**os.environ, "AUTOGRAD_EXPLORER_PROFILE": "local"}
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    with serving(app_command(port), port, log, ROOT, env=env) as url:
        yield url


@pytest.fixture(scope="module")
def page(app_url):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.set_default_timeout(WAIT_MS)
        yield page
        browser.close()


def bar_value(page: Page) -> float:
    return float(page.locator(".st-key-progress [role=progressbar]").get_attribute("aria-valuenow") or 0)


def curve_points(page: Page) -> int:
    text = page.locator(".st-key-progress", has_text="Loss so far").inner_text()
    return int(re.search(r"Loss so far \((\d+) points\)", text).group(1))


def test_progress_bar_and_loss_curve_grow_and_stop_keeps_the_graph(page: Page, app_url: str):
    page.goto(f"{app_url}/?code={encode_code(TRAINING)}")
    bar = page.locator(".st-key-progress [role=progressbar]")
    bar.wait_for(timeout=FIRST_RUN_MS)
    expect(page.locator(".st-key-progress")).to_contain_text(  # once the worker has started
        re.compile(r"Iteration [\d,]+ of 400"), timeout=FIRST_RUN_MS
    )
    first = bar_value(page)
    page.wait_for_function(
        "(first) => Number(document.querySelector('.st-key-progress [role=progressbar]')"
        ".getAttribute('aria-valuenow')) > first",
        arg=first,
    )
    page.locator(".st-key-progress", has_text="Loss so far").wait_for()
    points = curve_points(page)
    page.wait_for_function(
        "(points) => { const m = document.querySelector('.st-key-progress').innerText"
        ".match(/Loss so far \\((\\d+) points\\)/); return m && Number(m[1]) > points; }",
        arg=points,
    )
    assert bar_value(page) < 100  # all of this before the program ended
    assert page.locator(".st-key-progress").get_by_text(re.compile(r"[\d.]+ s so far")).count() == 1

    page.locator(".st-key-stop_run button").click()
    alert = page.locator("[data-testid=stAlert]", has_text="stopped by the user after")
    expect(alert).to_be_visible(timeout=WAIT_MS)
    ran = int(re.search(r"after (\d+) passes", alert.inner_text()).group(1))
    assert 2 <= ran < 400
    expect(page.locator(".st-key-progress [role=progressbar]")).to_have_count(0)
    # The graph of what ran: the leaf w and the ops of the loss.
    expect(page.locator("g.node").first).to_be_visible(timeout=WAIT_MS)
    assert page.locator("g.node").count() >= 4
    expect(page.locator(".viewport svg").first).to_contain_text("w")
