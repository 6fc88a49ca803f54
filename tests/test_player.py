"""The backward player: steps in the engine's execution order, over one SVG.

Unit tests read the steps and frames; the browser test opens the offline HTML
player file in headless Chromium (no network) and steps it with the buttons
and the arrow keys, checking which gradient numbers are visible.
"""

from __future__ import annotations

import functools
import io
import zipfile

from serving import CHROMIUM, CHROMIUM_ARGS, require_chromium

from graphs import player
from graphs.api import run_in_process
from graphs.catalogue import get
from graphs.export import export
from graphs.record import GraphRecord
from graphs.render import RenderOptions, dot_source

GRAD = 'text[fill="#b3261e"]'  # the light theme's gradient colour


@functools.cache
def figure(slug: str) -> tuple[GraphRecord, str]:
    record = run_in_process(get(slug).source)
    return record, export(dot_source(record, RenderOptions()), "svg").decode("utf-8")


def test_steps_follow_the_execution_order_and_light_the_edge_that_brought_the_gradient():
    record, svg = figure("two_layer_sigmoid")
    (run,) = record.passes
    found = player.steps(record, None, svg)
    assert [step.node for step in found[1:]] == sorted(run.order, key=run.order.get)
    assert found[0].node is None and "start from the seed" in found[0].caption
    edges = player.edge_ids(svg)
    first = found[1]
    assert first.node == next(iter(sorted(run.order, key=run.order.get)))
    (edge,) = edges[(run.roots[0], first.node)]
    assert f"g#{edge} path" in first.css  # output -> first op is lit
    assert f"g#{run.roots[0]} {GRAD}" not in found[0].css  # the seed shows from the start
    for index, step in enumerate(found[1:], start=1):
        for later in found[index + 1 :]:
            assert f"g#{later.node} {GRAD}" in step.css  # not reached yet: no gradient
        assert f"g#{step.node} {GRAD}" not in step.css  # reached: its gradient shows


def test_frames_zip_has_one_svg_per_step_with_its_rules():
    record, svg = figure("sum_of_squares")
    found = player.steps(record, None, svg)
    with zipfile.ZipFile(io.BytesIO(player.frames_zip(svg, found))) as archive:
        names = archive.namelist()
        assert names == [f"step_{i:03d}.svg" for i in range(len(found))]
        last = archive.read(names[-1]).decode()
    assert last.startswith(svg[: svg.index("<svg")]) and f"<style>{found[-1].css}</style>" in last


def test_a_program_without_a_pass_has_no_steps():
    record = run_in_process("import torch\nx = torch.ones(2, requires_grad=True)\ny = (x * 2).sum()\n")
    assert player.steps(record, None, "<svg></svg>") == []


def test_the_offline_player_steps_with_buttons_and_arrow_keys(tmp_path):
    require_chromium()
    from playwright.sync_api import sync_playwright

    record, svg = figure("two_layer_sigmoid")
    (run,) = record.passes
    found = player.steps(record, None, svg)
    page_file = tmp_path / "player.html"
    page_file.write_text(player.player_html(svg, found, "two_layer_sigmoid"), encoding="utf-8")
    in_order = sorted(run.order, key=run.order.get)

    def visible_grads(page, node_id: str) -> int:
        shown = "els => els.filter(e => getComputedStyle(e).visibility !== 'hidden').length"
        return page.eval_on_selector_all(f"g#{node_id} {GRAD}", shown)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.route(
            "**/*",
            lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort(),
        )  # offline: nothing but the file itself
        page.goto(page_file.as_uri())
        assert page.get_attribute(".ae-player", "data-step") == "0"
        assert visible_grads(page, run.roots[0]) > 0 and visible_grads(page, in_order[0]) == 0
        page.click('[data-act="next"]')
        assert page.get_attribute(".ae-player", "data-step") == "1"
        assert visible_grads(page, in_order[0]) > 0 and visible_grads(page, in_order[1]) == 0
        page.focus(".ae-player")
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        assert page.get_attribute(".ae-player", "data-step") == "3"
        assert visible_grads(page, in_order[2]) > 0
        page.keyboard.press("ArrowLeft")
        assert visible_grads(page, in_order[2]) == 0
        assert "step 2 of" in page.text_content(".ae-caption")
        page.click('[data-act="play"]')
        page.wait_for_function(
            f"document.querySelector('.ae-player').dataset.step === '{len(found) - 1}'", timeout=30_000
        )
        with_grads = [
            node_id
            for node_id in in_order
            if page.eval_on_selector_all(f"g#{node_id} {GRAD}", "els => els.length")
        ]
        assert len(with_grads) > len(in_order) // 2
        assert all(visible_grads(page, node_id) > 0 for node_id in with_grads)  # the end: all reached
        browser.close()
