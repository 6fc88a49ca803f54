"""Module folding in a real browser (Debian's chromium through Playwright,
against `streamlit run app.py`): a click on a collapsed ×N box expands it in
place, a click on the opened module's cluster label folds it back. Prints
how long each redraw took (measured, not asserted: see bench/)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from serving import CHROMIUM, CHROMIUM_ARGS, app_command, free_port, require_chromium, serving

from components.share import encode_code
from graphs.api import run_source
from graphs.catalogue import get
from graphs.folding import MAX_BOXES
from graphs.render import RenderOptions, folded_view
from tests.test_app_folding import ENCODER
from tests.test_e2e_classroom import screenshot, settle

ROOT = Path(__file__).resolve().parent.parent
WAIT_MS = 60_000
FIRST_RUN_MS = 180_000

require_chromium(module=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    port = free_port()
    with serving(app_command(port), port, tmp_path_factory.mktemp("streamlit") / "server.log", ROOT) as url:
        yield url


def test_click_a_collapsed_box_to_expand_it_and_its_label_to_fold_it(app_url):
    record = run_source(ENCODER)
    view = folded_view(record, RenderOptions())
    (run,) = [box for box in view.boxes if box.count > 1]  # layers 1-2 (layer 3 is open)
    opened = "model.layers.2: TransformerEncoderLayer"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1150})
        page.set_default_timeout(WAIT_MS)
        page.goto(f"{app_url}/?code={encode_code(ENCODER)}")
        box = page.locator(f"g.node#{run.id}")
        box.wait_for(timeout=FIRST_RUN_MS)
        expect(box).to_contain_text("×2", timeout=WAIT_MS)
        expect(page.locator("g.cluster", has_text=opened)).to_have_count(0, timeout=WAIT_MS)

        page.locator(".tools button[data-act=fit]").click()
        started = time.perf_counter()
        box.click()
        label = page.locator("g.cluster text", has_text=opened)  # (inside the tooltip's <a>)
        expect(label).to_have_count(1, timeout=WAIT_MS)
        expanded_s = time.perf_counter() - started
        expect(page.locator(f"g.node#{run.id}")).not_to_contain_text(
            "×2", timeout=WAIT_MS
        )  # layer 1 alone now

        page.locator(".tools button[data-act=fit]").click()
        started = time.perf_counter()
        label.click()
        expect(page.locator(f"g.node#{run.id}")).to_contain_text("×2", timeout=WAIT_MS)
        collapsed_s = time.perf_counter() - started
        expect(page.locator("g.cluster", has_text=opened)).to_have_count(0, timeout=WAIT_MS)
        assert "folding=" in page.evaluate("location.href")  # the share link keeps the state
        print(
            f"\nexpand one module: {expanded_s:.2f} s, fold it again: {collapsed_s:.2f} s (click to redrawn)"
        )
        browser.close()


@pytest.mark.parametrize("slug", ["gpt2_small", "rnn_unrolled"])
def test_a_real_model_opens_folded_with_at_most_150_boxes_on_screen(app_url, slug):
    """The 720-node GPT-2 shape and the 3,000-node RNN: what the page draws is the
    first view (modules as clusters and boxes, the repeats as one ×N box)."""
    view = folded_view(run_source(get(slug).source), RenderOptions())
    (run,) = [box for box in view.boxes if box.count > 1]  # GPT-2's blocks, the RNN's steps
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.set_default_timeout(WAIT_MS)
        page.goto(f"{app_url}/?entry={slug}")
        repeated = page.locator(f"g.node#{run.id}")
        repeated.wait_for(timeout=FIRST_RUN_MS)
        expect(repeated).to_contain_text(f"×{run.count}")
        boxes = page.locator("g.node").count()
        assert boxes == view.size <= MAX_BOXES and page.locator("g.cluster").count() == len(view.clusters)
        if slug == "rnn_unrolled":  # small enough to read at laptop size
            settle(page)
            screenshot(page, "folding", "docs/screenshots")
        print(f"\n{slug}: {boxes} boxes on screen, {run.title} ×{run.count}")
        browser.close()
