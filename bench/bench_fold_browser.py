"""Benchmark: the real models' folded first view and one expansion, in a real browser.

For each catalogue model, against `streamlit run app.py` on 127.0.0.1 and
Debian's chromium (headless, through Playwright):
  cold          = open `?entry=<slug>` until its graph is drawn (runs the
                  program in the worker: capture included);
  first view    = open it again in a new page with another theme, so the
                  capture is cached and the figure is not: folding, DOT,
                  `dot` and drawing, plus the page's own start;
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


def drawn(page, url: str) -> float:
    """Seconds from opening `url` until its graph's first node is drawn."""
    started = time.perf_counter()
    page.goto(url)
    page.locator("g.node").first.wait_for(timeout=WAIT_MS)
    return time.perf_counter() - started


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
        for slug in args.models.split(","):
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            cold = drawn(page, f"{url}/?entry={slug}")
            page.close()
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            first = drawn(page, f"{url}/?entry={slug}&theme=dark")
            boxes = page.locator("g.node").count()
            seconds, which = expand(page, slug)
            page.close()
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
