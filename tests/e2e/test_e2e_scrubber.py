"""The training scrubber in a real browser (Debian's chromium through
Playwright, against `streamlit run app.py`): a 300-step loop draws its last
pass; moving the slider under the loss curve to its first position redraws
the figure as pass 1's graph (its own nodes, the last pass's gone) and the
pass picker says so."""

from __future__ import annotations

from playwright.sync_api import expect

from components.share import encode_code
from graphs.api import run_source
from tests.app.test_app import TRAINING
from tests.e2e.test_e2e_browser import FIRST_RUN_MS
from tests.e2e.test_e2e_classroom import app_url, browser, open_page, settle  # noqa: F401 (fixtures)


def test_the_scrubber_moves_the_graph_to_the_first_kept_pass(browser, app_url):  # noqa: F811
    record = run_source(TRAINING)
    first, last = record.shown_nodes(0), record.shown_nodes(len(record.passes) - 1)
    first_root, last_root = record.passes[0].roots[0], record.passes[-1].roots[0]
    assert first_root in first - last and last_root in last - first
    page = open_page(browser, f"{app_url}/?code={encode_code(TRAINING)}", 1600, 1150)
    page.locator(f"g.node#{last_root}").wait_for(timeout=FIRST_RUN_MS)
    settle(page)
    expect(page.locator(f"g.node#{first_root}")).to_have_count(0)
    thumb = page.locator(".st-key-scrub_pass input[type=range]")  # the slider's thumb, for the keyboard
    thumb.focus()
    page.keyboard.press("Home")
    page.locator(f"g.node#{first_root}").wait_for()
    settle(page)
    expect(page.locator(f"g.node#{last_root}")).to_have_count(0)
    drawn = set(page.locator("g.node").evaluate_all("gs => gs.map(g => g.id)"))
    assert first_root in drawn and not drawn & (last - first)
    expect(page.locator(".st-key-scrub_pass")).to_contain_text("pass 1 · loss 4.359")
