"""The classroom in a real browser (Debian's chromium, headless, Playwright)
against `streamlit run app.py`: a 1440×900 laptop, a 1920×1080 projector in
fullscreen and a 390×844 phone. Each test MEASURES what a reader sees: the
graph's box on the screen, every node inside it, the rendered height of the
figure's text, where the inspector is; and drives the editor (Tab,
Ctrl+Enter), the quiz, a live edit and the language switch.

Waits are for conditions (an element, a URL, a fullscreen state), never
fixed sleeps, with long limits for a busy 2-core machine. With
UPDATE_SCREENSHOT=1 the README's pictures in docs/ are refreshed.
"""

from __future__ import annotations

import os
import re
import statistics
import time
from contextlib import suppress
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from graphs.api import run_source
from graphs.catalogue import get
from tests.e2e.test_e2e_browser import CHROMIUM, CHROMIUM_ARGS, FIRST_RUN_MS, WAIT_MS
from tests.serving import app_command, free_port, serving

ROOT = Path(__file__).resolve().parents[2]
expect.set_options(timeout=WAIT_MS)  # a busy 2-core machine: conditions, not sleeps, with room
DEFAULT = get("two_layer_sigmoid").source
SLIDES_LEAF = '[fill="#a6d4ff"]'  # the slides theme's leaf colour: the projector's figure has arrived
LIGHT_LEAF = '[fill="#cfe8fc"]'
# How far the page has scrolled: Streamlit scrolls its main section, not the window.
SCROLLED = (
    "Math.max(window.scrollY, ...[...document.querySelectorAll('[data-testid=stMain], "
    "[data-testid=stAppViewContainer]')].map((el) => el.scrollTop))"
)


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """A real `streamlit run app.py` on a free local port, stopped (with its workers) afterwards."""
    port = free_port()
    command = app_command(port)
    with serving(command, port, tmp_path_factory.mktemp("streamlit") / "server.log", ROOT) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


def open_page(browser, url: str, width: int, height: int, phone: bool = False, locale: str = "en-GB") -> Page:
    context = browser.new_context(
        viewport={"width": width, "height": height},
        has_touch=phone,
        is_mobile=phone,
        locale=locale,
        accept_downloads=True,
    )
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(url)
    page.locator("g.node").first.wait_for(timeout=FIRST_RUN_MS)
    settle(page)
    return page


def settle(page: Page) -> None:
    """Wait until Streamlit has finished running the script and the figure is placed."""
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')")
    page.locator(".viewport svg").wait_for()
    page.wait_for_function("""() => new Promise((done) => requestAnimationFrame(() =>
        requestAnimationFrame(() => done(true))))""")


def box(locator) -> dict[str, float]:
    found = locator.bounding_box()
    assert found is not None
    return found


def inside(inner: dict, outer: dict, slack: float = 1.0) -> bool:
    return (
        inner["x"] >= outer["x"] - slack
        and inner["y"] >= outer["y"] - slack
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + slack
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + slack
    )


def text_heights(page: Page) -> list[float]:
    """The on-screen height of every text line of the figure, in CSS pixels."""
    return page.locator(".viewport svg text").evaluate_all(
        "texts => texts.map((t) => t.getBoundingClientRect().height)"
    )


def nodes_inside(page: Page, frame: dict, constants: bool = True) -> int:
    """Every node of the default network is drawn inside `frame` (the projector leaves out its
    plain constants x and y: RenderOptions.show_constants)."""
    nodes = page.locator("g.node")
    count = nodes.count()
    record = run_source(DEFAULT)
    plain = {edge.dst for edge in record.no_grad_edges if edge.kind == "constant"}
    assert count == len(record.nodes) - (0 if constants else len(plain))
    assert all(inside(box(nodes.nth(i)), frame) for i in range(count)), "a node is cut off"
    return count


def screenshot(page: Page, name: str, folder: str = "docs", element=None) -> None:
    """The viewport (or only `element`, a locator) as artifacts/NAME.png, and for the README."""
    targets = [ROOT / "artifacts" / f"{name}.png"]
    if os.environ.get("UPDATE_SCREENSHOT") == "1":
        targets.append(ROOT / folder / f"{name}.png")
    for target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        if element is None:
            page.screenshot(path=str(target), full_page=False)
        else:
            element.screenshot(path=str(target))


def test_laptop_the_whole_default_network_readable_with_the_inspector_beside_it(browser, app_url):
    page = open_page(browser, app_url, 1440, 900)
    frame = box(page.locator(".viewport"))
    assert frame["y"] < 260 and frame["y"] + frame["height"] <= 900, frame  # above the fold
    assert frame["width"] >= 0.6 * 1440, frame
    nodes_inside(page, frame)
    heights = text_heights(page)
    print(
        f"\nlaptop: graph {frame}, text {min(heights):.1f}-{max(heights):.1f} px, "
        f"median {statistics.median(heights):.1f}"
    )
    assert statistics.median(heights) >= 12 and min(heights) >= 10
    tools = box(page.locator(".tools"))
    assert all(
        box(page.locator("g.node").nth(i))["y"] >= tools["y"] + tools["height"]
        for i in range(page.locator("g.node").count())
    ), "the toolbar covers a node"

    w1 = run_source(DEFAULT).named("w1").id
    page.locator(f"g.node#{w1}").click()
    facts = page.locator(".st-key-node_facts")
    expect(facts).to_contain_text("w1")
    expect(page.locator(".st-key-node_grad")).to_contain_text("1.2243e-04")  # seed 003's w1.grad
    side = box(facts)
    assert side["x"] >= frame["x"] + frame["width"] and side["y"] + side["height"] <= 900, side
    expect(page.locator(f"g.node.selected#{w1}")).to_have_count(1)
    page.locator(".st-key-live_edit [data-testid=stDataFrame] canvas").first.wait_for()
    screenshot(page, "screenshot")
    page.context.close()


def test_projector_fills_1080p_with_24_px_text_and_esc_returns_to_the_same_view(browser, app_url):
    page = open_page(browser, app_url, 1920, 1080)
    before = box(page.locator(".viewport"))
    started = time.monotonic()
    page.locator(".tools button[data-act=projector]").click()
    page.wait_for_function("() => document.fullscreenElement")
    page.locator(f".viewport svg {SLIDES_LEAF}").first.wait_for()
    settle(page)
    arrived = time.monotonic() - started
    screen = {"x": 0, "y": 0, "width": 1920, "height": 1080}
    drawing = box(page.locator(".viewport svg g.graph"))
    nodes_inside(page, screen, constants=False)
    heights = text_heights(page)
    print(
        f"\nprojector: slides figure after {arrived:.2f} s, drawing {drawing}, "
        f"text {min(heights):.1f}-{max(heights):.1f} px"
    )
    assert min(heights) >= 24
    assert drawing["width"] >= 0.85 * 1920 or drawing["height"] >= 0.85 * 1080
    screenshot(page, "projector")

    page.keyboard.press("Escape")
    page.wait_for_function("() => !document.fullscreenElement")
    page.locator(f".viewport svg {LIGHT_LEAF}").first.wait_for()
    settle(page)
    after = box(page.locator(".viewport"))
    assert all(abs(after[k] - before[k]) <= 2 for k in ("x", "y", "width", "height")), (before, after)
    nodes_inside(page, after)  # the same whole graph, not a blank frame
    assert statistics.median(text_heights(page)) >= 12
    page.context.close()


def test_phone_graph_first_one_finger_scrolls_the_page_two_fingers_zoom(browser, app_url):
    page = open_page(browser, app_url, 390, 844, phone=True)
    frame = box(page.locator(".viewport"))
    print(f"\nphone: graph {frame}")
    assert frame["y"] < 420 and frame["width"] >= 340, frame
    nodes_inside(page, frame)
    assert page.locator(".viewport").evaluate("el => getComputedStyle(el).touchAction") == "pan-y"
    screenshot(page, "phone")
    # Real touch input through the browser's input pipeline (CDP), so the page's
    # own scrolling and touch-action decide what happens, as on a phone.
    cdp = page.context.new_cdp_session(page)

    def touch(kind: str, *points: tuple[float, float]) -> None:
        cdp.send(
            "Input.dispatchTouchEvent",
            {"type": kind, "touchPoints": [{"x": x, "y": y, "id": i} for i, (x, y) in enumerate(points)]},
        )

    zoom = "svg => new DOMMatrix(getComputedStyle(svg).transform).a"
    k_before = page.locator(".viewport svg").evaluate(zoom)
    x, y = frame["x"] + frame["width"] / 2, frame["y"] + frame["height"] * 0.6
    touch("touchStart", (x, y))
    for step in range(1, 16):
        touch("touchMove", (x, y - 20 * step))
    touch("touchEnd")
    page.wait_for_function(f"() => {SCROLLED} > 100")  # one finger moved the page
    assert page.locator(".viewport svg").evaluate(zoom) == k_before  # ... and not the graph
    frame = box(page.locator(".viewport"))
    x, y = frame["x"] + frame["width"] / 2, max(frame["y"], 0) + 150
    touch("touchStart", (x - 30, y), (x + 30, y))
    for step in range(1, 11):
        touch("touchMove", (x - 30 - 9 * step, y), (x + 30 + 9 * step, y))
    touch("touchEnd")
    page.wait_for_function(f"""() => {{ const svg = [...document.querySelectorAll('*')]
        .map((el) => el.shadowRoot && el.shadowRoot.querySelector('.viewport svg')).find(Boolean);
        return new DOMMatrix(getComputedStyle(svg).transform).a > {1.5 * k_before}; }}""")
    k_after = page.locator(".viewport svg").evaluate(zoom)
    print(f"phone: two fingers zoomed the graph {k_before:.2f} -> {k_after:.2f}")
    assert page.evaluate("() => window.visualViewport.scale") == 1  # the graph zoomed, not the page
    page.context.close()


def open_program(page: Page) -> None:
    page.locator(".st-key-pane button", has_text="Program").click()
    page.locator(".cm-content").wait_for()


def test_editor_tab_indents_ctrl_enter_runs_and_the_error_line_is_marked(browser, app_url):
    page = open_page(browser, app_url, 1440, 900)
    open_program(page)
    editor = page.locator(".cm-content")
    assert "monospace" in editor.evaluate("el => getComputedStyle(el).fontFamily")
    assert page.locator(".cm-lineNumbers .cm-gutterElement").count() > 10
    editor.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("import torch\na = torch.tensor(3.0, requires_grad=True)\nif True:\n")
    page.keyboard.press("Tab")  # auto-indent after ":" already gave 4 spaces; Tab adds 4
    assert page.locator(".cm-content").evaluate(
        "el => el.contains(document.activeElement) || el.getRootNode().activeElement === el"
    )
    page.keyboard.press("ControlOrMeta+a")
    program = "import torch\na = torch.tensor(3.0, requires_grad=True)\nsquare = a * a\nsquare.backward()\n"
    page.keyboard.type(program)
    expect(page.locator("[data-testid=editor-status]")).to_be_visible()
    expect(page.locator("[data-testid=editor-status]")).to_contain_text("not run yet")
    started = time.monotonic()
    page.keyboard.press("ControlOrMeta+Enter")
    expect(page.locator("g.node")).to_have_count(len(run_source(program).nodes))
    expect(page.locator(".viewport svg")).to_contain_text("square")
    expect(page.locator("[data-testid=editor-status]")).to_be_hidden()
    print(f"\nCtrl+Enter to the new graph: {time.monotonic() - started:.2f} s")
    expect(page).to_have_url(re.compile(r"[?&]code="))
    expect(page.locator(".cm-editor.cm-focused")).to_have_count(1)  # the same editor, still focused

    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("import torch\nx = torch.ones(2, 3)\ny = x @ x\n")
    page.keyboard.press("ControlOrMeta+Enter")
    expect(page.locator("[data-testid=stAlert]").first).to_contain_text("line 3")
    expect(page.locator(".cm-error-line")).to_have_count(1)
    assert page.locator(".cm-error-line").inner_text().startswith("y = x @ x")
    assert "y = x @ x" in page.locator(".cm-content").inner_text()  # the text survived the error
    page.context.close()


def test_quiz_round_trip_from_a_link(browser, app_url):
    page = open_page(browser, f"{app_url}/?entry=two_layer_sigmoid&quiz=1", 1440, 900)
    record = run_source(DEFAULT)
    w1 = record.named("w1").id
    expect(page.locator(".viewport svg")).not_to_contain_text("1.2243e-04")
    page.locator(f"g.node#{w1}").click()
    expect(page.locator(".st-key-quiz_panel")).to_contain_text("w1")
    answer = page.locator(".st-key-quiz_answer input")
    answer.fill("0 0")
    answer.press("Enter")
    page.locator(".st-key-quiz_check button").click()
    expect(page.locator(".st-key-quiz_panel")).to_contain_text("Not quite")
    answer.fill("1.2243e-4 7.8e-5")
    answer.press("Enter")
    page.locator(".st-key-quiz_check button").click()
    expect(page.locator(".st-key-quiz_panel")).to_contain_text("Right")
    expect(page.locator(f"g.node#{w1}")).to_contain_text("1.2243e-04")  # shown again
    expect(page.locator(".st-key-quiz_panel")).to_contain_text("0 / 1")  # first answer was wrong
    page.context.close()


def test_live_edit_of_a_tensor_leaf_rewrites_the_program(browser, app_url):
    page = open_page(browser, app_url, 1440, 900)
    w2 = run_source(DEFAULT).named("w2").id
    page.locator(f"g.node#{w2}").click()
    grid = page.locator(".st-key-live_edit [data-testid=stDataFrame]")
    grid.wait_for()
    cell = box(grid)
    typing = page.locator("input.gdg-input, textarea.gdg-input")  # the grid's cell editor
    deadline = time.monotonic() + WAIT_MS / 1000
    while not typing.count() and time.monotonic() < deadline:  # the grid may still be drawing
        page.mouse.dblclick(cell["x"] + cell["width"] * 0.25, cell["y"] + cell["height"] * 0.5)  # (0, 0)
        with suppress(PlaywrightTimeout):
            typing.wait_for(timeout=3000)
    expect(typing).to_be_focused()
    typing.fill("7")
    typing.press("Enter")
    expect(page.locator(f"g.node#{w2} text", has_text=re.compile(r"^7\.$"))).to_have_count(1)
    expect(page).to_have_url(re.compile(r"[?&]code="))
    open_program(page)
    expect(page.locator(".cm-content")).to_contain_text("w2 = torch.tensor([[7.0, 4.0], [5.0, 6.0]]")
    page.context.close()


def test_the_language_switch_and_the_browser_default(browser, app_url):
    page = open_page(browser, app_url, 1440, 900, locale="zh-CN")
    expect(page.locator(".st-key-pane")).to_contain_text("程序")  # the browser's language
    expect(page).to_have_url(re.compile(r"[?&]lang=zh"))
    lesson = page.locator("[data-testid=stExpander]").first
    lesson.locator("summary").click()
    expect(lesson).to_contain_text("链式法则")  # the lesson, in Chinese
    lesson.locator("summary").click()
    expect(lesson.locator("[data-testid=stExpanderDetails]")).to_be_hidden()
    page.locator(f"g.node#{run_source(DEFAULT).named('w1').id}").click()
    expect(page.locator(".st-key-live_edit")).to_contain_text("修改 w1")
    page.locator(".st-key-live_edit [data-testid=stDataFrame] canvas").first.wait_for()
    screenshot(page, "zh")
    page.locator("[data-testid=stButtonGroup] button", has_text="English").click()
    expect(page.locator(".st-key-pane")).to_contain_text("Program")
    expect(page).to_have_url(re.compile(r"[?&]lang=en"))
    page.locator("[data-testid=stButtonGroup] button", has_text="中文").click()
    expect(page.locator(".st-key-pane")).to_contain_text("检查")
    page.context.close()
