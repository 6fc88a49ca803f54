"""The notebook inspector words a folded box by what it folds (graphs/web/view.js):
a box of a program's loop iterations is a "loop", one of module calls a "module",
as the figure's own tooltips say (graphs/render/boxes.py). Clicked in headless Chromium."""

from __future__ import annotations

from graphs import explore
from graphs.render import folded_view
from tests.frontends.test_notebook import opened

PROGRAM = """import torch
torch.manual_seed(0)
layer = torch.nn.Linear(2, 2)
x = layer(torch.ones(1, 2))
for t in range(3):
    x = x * 2 + 1
x.sum().backward()
"""


def test_the_inspector_says_loop_for_a_box_of_iterations_and_module_for_a_call(tmp_path):
    from playwright.sync_api import expect

    view = explore(PROGRAM, folding=frozenset())  # every module call and loop a box
    boxes = {box.expand: box for box in folded_view(view.record, view.options).boxes}
    assert sorted(boxes) == ["layer", "loop@L5@2"]
    loop, module = boxes["loop@L5@2"], boxes["layer"]
    assert (loop.title, loop.kind, loop.count) == ("for t in range(3)", "for loop, line 5: iterations 0–2", 3)
    assert (module.kind, module.count) == ("Linear", 1)
    document = tmp_path / "loop.html"
    document.write_text(f"<!doctype html><meta charset='utf-8'><body>{view._repr_html_()}</body>", "utf-8")
    with opened(document) as page:
        explorer = page.locator(".ae-explorer")
        explorer.get_by_role("button", name="Fit").click()
        inspector = explorer.locator(".ae-inspector")
        for box, word in ((loop, "loop"), (module, "module")):
            explorer.locator("g.node", has=page.locator(f"title:text-is('{box.id}')")).click()
            expect(inspector.locator("dt")).to_have_text([word], timeout=30_000)
            expect(inspector.locator("dd")).to_have_text([box.kind])
            expect(inspector.locator("code.ae-open")).to_have_text(f'view.expand("{box.expand}")')
