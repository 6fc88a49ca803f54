"""Issue 9's views in a real browser (Debian's chromium, headless, Playwright)
against `streamlit run app.py`: code and graph pointing at each other, measured
in the DOM (the CodeMirror line element gets its class, the SVG node its
outline), and a pitfall drawn on the graph. With UPDATE_SCREENSHOT=1 the
README's pictures of these views are refreshed in docs/screenshots/.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from components.share import encode_code
from graphs.api import run_source
from graphs.catalogue import get
from tests.e2e.test_e2e_browser import FIRST_RUN_MS, WAIT_MS
from tests.e2e.test_e2e_classroom import app_url, browser, open_page, open_program, screenshot, settle  # noqa: F401

DEFAULT = get("two_layer_sigmoid").source
OUTLINE = '[stroke="#f29c1f"][stroke-width="3"]'  # RenderOptions.highlight in the light theme
CUTS = """import torch
x = torch.tensor([1.0, 2.0], requires_grad=True)
h = x * 3
c = h.detach()              # c has h's values, and no way back to x
with torch.no_grad():
    m = x * 2               # not recorded: m is a constant
y = (c * x + m * x).sum()
y.backward()
print(x.grad)               # 3x + 2x = 5x, not 5x + 3x + 2x
"""
IN_PLACE = """import torch
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
s = torch.sigmoid(x)        # sigmoid saves its output s for backward
t = s * 2
s.mul_(3)                   # ... which this changes in place
t.sum().backward()
"""


def outlined(page: Page) -> set[str]:
    """The ids of the graph's nodes drawn with the highlight's outline."""
    return set(
        page.locator("g.node").evaluate_all(
            f"nodes => nodes.filter((n) => n.querySelector('{OUTLINE}')).map((n) => n.id)"
        )
    )


def test_a_clicked_node_marks_its_line_and_a_clicked_line_outlines_its_nodes(browser, app_url):  # noqa: F811
    record = run_source(DEFAULT)
    lines = DEFAULT.splitlines()
    page = open_page(browser, app_url, 1440, 900)
    open_program(page)
    z_2 = record.named("z_2")
    page.locator(f"g.node#{z_2.id}").click()
    marked = page.locator(".cm-line.cm-linked-line")
    expect(marked).to_have_count(1)
    assert marked.inner_text() == lines[z_2.line - 1]
    expect(page.locator(".cm-content")).to_be_visible()  # the Program pane stayed open
    assert not outlined(page)  # picking a node leaves the figure as it is
    w1 = record.named("w1")
    page.locator(f"g.node#{w1.id}").click()  # a leaf: the line that made it
    expect(marked).to_have_text(lines[w1.line - 1])

    loss_line = record.named("loss").line  # `loss = 1 / 2 * ((y_2 - y) ** 2).sum()`: four ops
    made = {node.id for node in record.nodes if node.line == loss_line}
    assert len(made) >= 4
    page.locator(f"g.node#{record.named('loss').id}").click()
    expect(marked).to_have_text(lines[loss_line - 1])
    started = time.monotonic()
    page.locator(".cm-content .cm-line").nth(loss_line - 1).click()
    page.wait_for_function(
        f"""() => [...document.querySelectorAll('*')].map((el) => el.shadowRoot).filter(Boolean)
            .some((root) => root.querySelectorAll('g.node {OUTLINE}').length >= {len(made)})"""
    )
    print(f"\nline click to its nodes outlined: {time.monotonic() - started:.2f} s")
    settle(page)
    assert outlined(page) == made
    expect(marked).to_have_text(lines[loss_line - 1])  # the clicked line is still the linked one
    screenshot(page, "code_link", "docs/screenshots")
    page.context.close()


@pytest.mark.parametrize(
    ("name", "source", "words"),
    [
        ("pitfall_detach", CUTS, "detach(): no gradient flows back"),
        ("pitfall_in_place", IN_PLACE, "version 1"),
    ],
)
def test_a_pitfall_is_drawn_on_the_graph(browser, app_url, name, source, words):  # noqa: F811
    page = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB").new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{app_url}/?code={encode_code(source)}")
    page.locator("svg g.node").first.wait_for(timeout=FIRST_RUN_MS)  # the graph, or a failure's graph
    expect(page.locator("svg text", has_text=words).first).to_be_visible()
    if source is CUTS:  # inspect the detached tensor: where it was cut from
        page.locator(f"g.node#{run_source(CUTS).named('c').id}").click()
        expect(page.locator("[data-testid=stAlert]", has_text="Cut from")).to_contain_text("MulBackward0")
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')")
    page.wait_for_function("""() => new Promise((done) => requestAnimationFrame(() =>
        requestAnimationFrame(() => done(true))))""")
    screenshot(page, name, "docs/screenshots")
    page.context.close()


def test_the_player_the_chain_rule_and_the_gradient_check_for_the_readme(browser, app_url):  # noqa: F811
    """Issue 9's other views, as the README shows them (each is tested in test_app / test_e2e_browser)."""
    record = run_source(DEFAULT)
    page = open_page(browser, app_url, 1920, 1080)  # the side pane wide enough for the tables
    page.get_by_text("Step through backward").click()
    player = page.locator(".ae-player")
    (run,) = record.passes
    z_2 = record.named("z_2")
    for step in range(1, run.order[z_2.id] + 1):  # up to z_2, half way down
        player.locator("[data-act=next]").click()
        expect(player).to_have_attribute("data-step", str(step))
    expect(page.locator(".st-key-node_facts")).to_contain_text("z_2")  # the inspector follows
    screenshot(page, "player", "docs/screenshots")
    page.get_by_text("Step through backward").click()
    settle(page)

    page.locator(f"g.node#{z_2.id}").click()
    chain = page.locator(".st-key-chain_rule")
    expect(chain).to_contain_text("✓")
    page.add_style_tag(content="[data-testid=stHeader] { display: none; }")  # it would cover the panel's top
    panel = page.locator("[data-testid=stExpander]", has=chain)
    screenshot(page, "chain_rule", "docs/screenshots", element=panel)

    page.locator(".st-key-pane button", has_text="Tensors").click()
    page.locator(".st-key-run_check button").click()
    table = page.locator(".st-key-check_table")
    expect(table).to_contain_text("w2")
    screenshot(page, "gradient_check", "docs/screenshots", element=table)
    page.context.close()
