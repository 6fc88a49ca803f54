"""Module folding in a real browser (Debian's chromium through Playwright,
against `streamlit run app.py`): a click on a collapsed ×N box expands it in
place, a click on the opened module's cluster label folds it back, and the
backward player outlines the box a step's node is folded into. Prints how
long each redraw took (measured, not asserted: see bench/)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from components.share import encode_code
from graphs.api import run_source
from graphs.catalogue import get
from graphs.render import RenderOptions, folded_view
from graphs.views.folding import MAX_BOXES
from tests.app.test_app_folding import ENCODER
from tests.e2e.test_e2e_browser import FIRST_RUN_MS, WAIT_MS
from tests.e2e.test_e2e_classroom import app_url, browser, open_page, screenshot, settle  # noqa: F401 (fixtures)


def test_click_a_collapsed_box_to_expand_it_and_its_label_to_fold_it(browser, app_url):  # noqa: F811
    record = run_source(ENCODER)
    view = folded_view(record, RenderOptions())
    (run,) = [box for box in view.boxes if box.count > 1]  # layers 1-2 (layer 3 is open)
    opened = "model.layers.2: TransformerEncoderLayer"
    page = open_page(browser, f"{app_url}/?code={encode_code(ENCODER)}", 1600, 1150)
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
    expect(page.locator(f"g.node#{run.id}")).not_to_contain_text("×2", timeout=WAIT_MS)  # layer 1 alone now

    page.locator(".tools button[data-act=fit]").click()
    started = time.perf_counter()
    label.click()
    expect(page.locator(f"g.node#{run.id}")).to_contain_text("×2", timeout=WAIT_MS)
    collapsed_s = time.perf_counter() - started
    expect(page.locator("g.cluster", has_text=opened)).to_have_count(0, timeout=WAIT_MS)
    assert "folding=" in page.evaluate("location.href")  # the share link keeps the state
    print(f"\nexpand one module: {expanded_s:.2f} s, fold it again: {collapsed_s:.2f} s (click to redrawn)")
    page.close()


@pytest.mark.parametrize("slug", ["gpt2_small", "rnn_unrolled"])
def test_a_real_model_opens_folded_with_at_most_150_boxes_on_screen(browser, app_url, slug):  # noqa: F811
    """The 720-node GPT-2 shape and the 3,000-node RNN: what the page draws is the
    first view (modules as clusters and boxes, the repeats as one ×N box)."""
    view = folded_view(run_source(get(slug).source), RenderOptions())
    (run,) = [box for box in view.boxes if box.count > 1]  # GPT-2's blocks, the RNN's steps
    page = open_page(browser, f"{app_url}/?entry={slug}", 1440, 900)
    repeated = page.locator(f"g.node#{run.id}")
    repeated.wait_for(timeout=FIRST_RUN_MS)
    expect(repeated).to_contain_text(f"×{run.count}")
    boxes = page.locator("g.node").count()
    assert boxes == view.size <= MAX_BOXES and page.locator("g.cluster").count() == len(view.clusters)
    if slug == "rnn_unrolled":  # small enough to read at laptop size
        settle(page)
        screenshot(page, "folding", "docs/screenshots")
    print(f"\n{slug}: {boxes} boxes on screen, {run.title} ×{run.count}")
    page.close()


def test_stepping_through_backward_outlines_the_box_a_node_is_folded_into(browser, app_url):  # noqa: F811
    """The player over the folded figure: a step that runs a node inside the ×2
    box outlines the box in the step's colour, and the offline player downloaded
    from the page (made only on the click) holds the same steps."""
    record = run_source(ENCODER)
    view = folded_view(record, RenderOptions())
    (box,) = [box for box in view.boxes if box.count > 1]
    in_order = sorted(record.passes[0].order, key=record.passes[0].order.get)
    first = 1 + next(index for index, node_id in enumerate(in_order) if view.hidden.get(node_id) == box.id)
    page = open_page(browser, f"{app_url}/?code={encode_code(ENCODER)}", 1600, 1150)
    page.get_by_text("Step through backward").click()
    player = page.locator(".ae-player")
    expect(player).to_have_attribute("data-step", "0", timeout=WAIT_MS)
    outline = player.locator(f"g#{box.id} > g > a > polygon").first
    stroke = "e => getComputedStyle(e).stroke"
    player.locator(".ae-scrub").fill(str(first - 1))  # as a drag of the scrubber
    expect(player).to_have_attribute("data-step", str(first - 1))
    assert outline.evaluate(stroke) != "rgb(255, 75, 75)"
    player.locator(".ae-scrub").fill(str(first))
    expect(player).to_have_attribute("data-step", str(first))
    assert outline.evaluate(stroke) == "rgb(255, 75, 75)"
    caption = player.locator(".ae-caption")
    expect(caption).to_contain_text(f"step {first} of {len(in_order)}: ")
    expect(caption).to_contain_text("(in model.layers.")
    # The step's rerun is over when the inspector shows the node; the download is made on the click.
    expect(page.locator(".st-key-node_facts")).to_contain_text(record.node(in_order[first - 1]).op)
    with page.expect_download(timeout=WAIT_MS) as download:
        page.locator("[data-testid=stDownloadButton] button", has_text="Offline HTML player").click()
    offline = Path(download.value.path()).read_text(encoding="utf-8")
    assert f"g#{box.id} \\u003e g \\u003e a \\u003e polygon" in offline  # (">" escaped in its data)
    assert "(in model.layers." in offline
    page.close()
