"""The app in a real browser: Debian's chromium, headless, driven by
Playwright against `streamlit run app.py` on 127.0.0.1.

It picks a catalogue entry, clicks a node of the SVG (through the custom
component's JavaScript), reads the inspector, downloads the slide PNG and
PDF and checks them (size, DPI, page), and saves a screenshot to
artifacts/app.png. The classroom views (laptop, projector, phone, 中文) and
the README's pictures are in test_e2e_classroom.py.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest

from graphs.api import run_source
from graphs.catalogue import get
from tests.serving import CHROMIUM, CHROMIUM_ARGS, app_command, free_port, require_chromium, serving

ROOT = Path(__file__).resolve().parents[2]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
WAIT_MS = 60_000
FIRST_RUN_MS = 180_000

require_chromium(module=True)

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """A real `streamlit run app.py` on a free local port, stopped (with its workers) afterwards."""
    port = free_port()
    with serving(app_command(port), port, tmp_path_factory.mktemp("streamlit") / "server.log", ROOT) as url:
        yield url


@pytest.fixture(scope="module")
def page(app_url):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1600, "height": 1150}, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.goto(app_url)
        yield page
        browser.close()


def pick(page: Page, slug: str) -> None:
    """Open the catalogue menu, click the entry and wait for its graph."""
    entry = get(slug)
    page.locator(".st-key-topbar [data-testid=stPopover] button").first.click()
    page.locator(f".st-key-pick_{slug} button").first.click()
    expect(page).to_have_url(re.compile(rf"[?&]entry={slug}\b"))
    expect(page.locator("g.node")).to_have_count(len(run_source(entry.source).nodes))
    page.keyboard.press("Escape")  # close the menu


def click_node(page: Page, slug: str, name: str) -> None:
    """Show the whole graph (the toolbar's Fit), then click the node."""
    node_id = run_source(get(slug).source).named(name).id
    page.locator(".tools button[data-act=fit]").click()
    page.locator(f"g.node#{node_id}").click()
    expect(page.locator(".st-key-node_facts")).to_contain_text(name)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which must come first."""
    assert data[:8] == PNG_MAGIC and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_pick_click_inspect_download_and_screenshot(page: Page, app_url: str):
    # First load: the default lesson is already drawn (the first run also
    # starts the sandbox worker, hence the longer wait).
    page.locator("g.node").first.wait_for(timeout=FIRST_RUN_MS)

    pick(page, "sum_of_squares")
    expect(page).to_have_url(re.compile(r"[?&]entry=sum_of_squares\b"))
    page.get_by_role("button", name="Share").click()
    link = page.locator("[data-testid=stPopoverBody] code").inner_text()
    assert link.startswith(app_url) and "entry=sum_of_squares" in link
    page.keyboard.press("Escape")
    click_node(page, "sum_of_squares", "a")
    expect(page.locator(".st-key-node_value")).to_contain_text("3.")
    expect(page.locator(".st-key-node_grad")).to_contain_text("6.")  # dc/da = 2a = (2, 4, 6)
    for text in ("2.", "4."):
        expect(page.locator(".st-key-node_grad")).to_contain_text(text)

    page.locator(".st-key-pane button", has_text="Export").click()
    with page.expect_download() as download:
        page.locator("[data-testid=stDownloadButton] button", has_text="PNG").click()
    png = Path(download.value.path()).read_bytes()
    width, height = png_size(png)
    print(f"\nslide PNG of sum_of_squares: {width}x{height}")
    assert width <= 1921 and height <= 1081 and min(width / 1920, height / 1080) > 0.9  # fills the slide
    assert b"pHYs" in png[:100]  # and says its DPI
    with page.expect_download() as download:
        page.locator("[data-testid=stDownloadButton] button", has_text="PDF").click()
    pdf = Path(download.value.path()).read_bytes()
    [page_box] = re.findall(rb"MediaBox \[ *0 0 (\d+) (\d+) *\]", pdf)[:1]
    assert abs(int(page_box[0]) / int(page_box[1]) - 16 / 9) < 0.02  # a 16:9 slide page

    pick(page, "two_layer_sigmoid")
    page.locator(".st-key-pane button", has_text="Inspect").click()
    click_node(page, "two_layer_sigmoid", "w1")
    expect(page.locator(".st-key-node_grad")).to_contain_text("1.2243e-04")  # seed 003's w1.grad
    expect(page.locator(".st-key-node_grad")).to_contain_text("7.8005e-05")
    target = ROOT / "artifacts" / "app.png"
    target.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(target), full_page=False)
    assert target.stat().st_size > 20_000


def test_step_through_backward_in_the_graph_and_the_inspector_follows(page: Page):
    pick(page, "sum_of_squares")
    record = run_source(get("sum_of_squares").source)
    (run,) = record.passes
    in_order = sorted(run.order, key=run.order.get)
    page.locator(".st-key-pane button", has_text="Inspect").click()
    page.get_by_text("Step through backward").click()
    player = page.locator(".ae-player")
    expect(player).to_have_attribute("data-step", "0")
    player.locator("[data-act=next]").click()
    expect(player).to_have_attribute("data-step", "1")
    expect(page.locator(".st-key-node_facts")).to_contain_text(record.node(in_order[0]).op)
    player.focus()
    page.keyboard.press("ArrowRight")
    expect(player).to_have_attribute("data-step", "2")
    expect(page.locator(".st-key-node_facts")).to_contain_text(record.node(in_order[1]).op)
    hidden = page.eval_on_selector_all(
        f".ae-player g#{in_order[-1]} text",
        "els => els.filter(e => getComputedStyle(e).visibility === 'hidden').length",
    )
    assert hidden > 0  # the leaf is not reached yet: no gradient
    page.wait_for_timeout(500)
    target = ROOT / "artifacts" / "player.png"
    target.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(target), full_page=False)
    page.get_by_text("Step through backward").click()  # back to the graph view for later tests
