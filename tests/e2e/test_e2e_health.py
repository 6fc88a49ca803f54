"""The gradient-norm overlay in a real browser (Debian's chromium through
Playwright, against `streamlit run app.py`): on the deep-sigmoid lesson, the
Display menu's 'Colour by gradient norm' fills the first layer's nodes with
the lowest bin's colour and the last layer's with the highest, measured on
the drawn SVG as the browser computes it, and shows the legend and the
per-layer strip."""

from __future__ import annotations

from playwright.sync_api import expect

from graphs.api import run_source
from graphs.catalogue import get
from graphs.render.overlay import palette
from graphs.render.themes import theme
from graphs.views.health import BINS
from tests.e2e.test_e2e_browser import FIRST_RUN_MS, WAIT_MS
from tests.e2e.test_e2e_classroom import app_url, browser, open_page, settle  # noqa: F401 (fixtures)

# Every fill the browser computes inside one node's group, as "rgb(r, g, b)".
FILLS = "g => [...g.querySelectorAll('polygon, path')].map(e => getComputedStyle(e).fill)"


def rgb(colour: str) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


def test_the_overlay_colours_the_layers_apart_and_shows_the_legend(browser, app_url):  # noqa: F811
    record = run_source(get("deep_sigmoid").source)
    norms = record.passes[-1].norms
    first = next(n.id for n in record.nodes if n.module == "layers.0" and n.op == "AddmmBackward0")
    last = max((n.id for n in record.nodes if n.module == "layers.11"), key=norms.get)
    light = palette(theme("light"))
    page = open_page(browser, f"{app_url}/?entry=deep_sigmoid", 1600, 1150)
    page.locator(f"g.node#{first}").wait_for(timeout=FIRST_RUN_MS)
    settle(page)
    assert rgb(light[0]) not in page.locator(f"g.node#{first}").evaluate(FILLS)
    expect(page.locator("g.node#legend")).to_have_count(0)

    page.get_by_role("button", name="Display").click()
    page.get_by_text("Colour by gradient norm").click()
    legend = page.locator("g.node#legend")
    expect(legend).to_have_count(1, timeout=WAIT_MS)
    expect(legend).to_be_visible()
    expect(legend).to_contain_text("gradient norm (log scale)")
    settle(page)
    low = page.locator(f"g.node#{first}").evaluate(FILLS)
    high = page.locator(f"g.node#{last}").evaluate(FILLS)
    assert rgb(light[0]) in low and rgb(light[BINS - 1]) not in low
    assert rgb(light[BINS - 1]) in high and rgb(light[0]) not in high
    steps = set(legend.evaluate(FILLS)) & {rgb(light[i]) for i in range(BINS)}
    assert len(steps) == BINS  # a swatch for every step of the scale
    page.keyboard.press("Escape")  # close the Display menu
    expect(page.get_by_text("Gradient norm by layer")).to_be_visible(timeout=WAIT_MS)
    assert "overlay=grad_norm" in page.evaluate("location.href")
    page.close()
