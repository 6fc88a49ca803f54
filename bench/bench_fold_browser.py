"""Benchmark: the real models' folded first view and one expansion, in a real browser.

For each catalogue model, in one page of Debian's chromium (headless, through
Playwright) against `streamlit run app.py` on 127.0.0.1, picking entries from
the catalogue menu as a user does:
  cold          = pick the model until its graph is drawn (the program runs
                  in the worker: capture included);
  first view    = pick it again after another lesson and another theme, so
                  its capture is cached and its figure is not: folding, DOT,
                  `dot`, sending and drawing the SVG;
  expand        = click a collapsed module box until the figure shows it
                  expanded (a ×N box when there is no single one).

    python bench/bench_fold_browser.py [--models resnet18,gpt2_small,...]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from playwright.sync_api import expect, sync_playwright  # noqa: E402
from serving import CHROMIUM, CHROMIUM_ARGS, app_command, free_port, serving  # noqa: E402

from graphs.api import run_source  # noqa: E402
from graphs.catalogue import get  # noqa: E402
from graphs.render import RenderOptions, folded_view  # noqa: E402

MODELS = ("resnet18", "resnet50", "gpt2_small", "rnn_unrolled", "lstm")
WAIT_MS = 300_000
TARGET_S = 1.0
LESSON = "two_layer_sigmoid"


def pick(page, slug: str) -> float:
    """Seconds from a click on the catalogue entry until its graph's output node is drawn."""
    output = f"n{len(run_source(get(slug).source).nodes) - 1}"  # outputs are numbered last, always drawn
    page.locator(".st-key-topbar [data-testid=stPopover] button").first.click()
    started = time.perf_counter()
    page.locator(f".st-key-pick_{slug} button").first.click()
    page.locator(f"g.node#{output}").wait_for(timeout=WAIT_MS)
    seconds = time.perf_counter() - started
    page.keyboard.press("Escape")
    return seconds


def theme(page, name: str) -> None:
    page.get_by_role("button", name="Display").click()
    page.locator(".st-key-opt_theme button", has_text=name).click()
    page.keyboard.press("Escape")
    page.wait_for_timeout(1000)  # the redraw of the lesson shown


def expand(page, slug: str) -> tuple[float, str]:
    """Seconds from a click on a collapsed box until the figure has changed, and the box."""
    view = folded_view(run_source(get(slug).source), RenderOptions())
    if view is None or not view.boxes:
        return float("nan"), "nothing folded"
    box = next((box for box in view.boxes if box.count == 1), view.boxes[0])
    page.locator(".tools button[data-act=fit]").click()
    target = page.locator(f"g.node#{box.id}")
    before = target.text_content()
    started = time.perf_counter()
    target.click()
    if box.count == 1:
        expect(target).to_have_count(0, timeout=WAIT_MS)
    else:
        expect(target).not_to_have_text(before, timeout=WAIT_MS)
    return time.perf_counter() - started, f"{box.title} ×{box.count}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS))
    args = parser.parse_args(argv)
    port = free_port()
    rows = []
    with (
        serving(app_command(port), port, Path("/tmp/bench_fold_browser.log"), ROOT) as url,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(f"{url}/?entry={LESSON}")
        page.locator("g.node").first.wait_for(timeout=WAIT_MS)
        for slug in args.models.split(","):
            cold = pick(page, slug)
            pick(page, LESSON)
            theme(page, "Dark")
            first = pick(page, slug)
            boxes = page.locator("g.node").count()
            seconds, which = expand(page, slug)
            pick(page, LESSON)
            theme(page, "Light")
            rows.append((slug, boxes, cold, first, seconds, which))
            print(f"measured {slug}", file=sys.stderr)
        browser.close()
    print("| model | boxes drawn | cold s | first view s (capture cached) | expand s | box clicked |")
    print("|---|---|---|---|---|---|")
    for slug, boxes, cold, first, seconds, which in rows:
        print(f"| {slug} | {boxes} | {cold:.2f} | {first:.2f} | {seconds:.2f} | {which} |")
    for slug, _, _, first, seconds, _ in rows:
        verdict = "met" if first < TARGET_S and not seconds >= TARGET_S else "MISSED"
        print(
            f"- {slug}: first view {first:.2f} s, expand {seconds:.2f} s (target < {TARGET_S:g} s) {verdict}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
