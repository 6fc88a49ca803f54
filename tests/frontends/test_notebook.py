"""`explore()` in a real notebook: tests/notebooks/explore.ipynb executed by
nbclient on an ipykernel kernel of this interpreter, its outputs checked
against torch's own numbers, then the HTML it produced opened in headless
Chromium and a node clicked.

With UPDATE_SCREENSHOT=1 the browser test also refreshes docs/notebook.png
(the README's picture of the notebook view).
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
from nbclient import NotebookClient

from graphs import explore
from graphs.render import folded_view
from graphs.views import format as fmt
from tests.frontends.test_notebook_findings_list import rows
from tests.serving import CHROMIUM, CHROMIUM_ARGS, require_chromium, write_kernel_spec

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "tests" / "notebooks" / "explore.ipynb"
KERNEL = "autograd-explorer-test"
DATA = re.compile(r'<script type="application/json" class="ae-data">(.*?)</script>', re.S)


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The notebook after a run on a kernel spec (written to a temporary
    JUPYTER_PATH) that starts this very interpreter, with the repository on
    its PYTHONPATH; its working directory (where .save() writes) is temporary."""
    home = tmp_path_factory.mktemp("jupyter")
    write_kernel_spec(home / "kernels", KERNEL, "Autograd Explorer tests")
    workdir = tmp_path_factory.mktemp("notebook")
    saved = {name: os.environ.get(name) for name in ("JUPYTER_PATH", "JUPYTER_RUNTIME_DIR", "PYTHONPATH")}
    os.environ["JUPYTER_PATH"] = str(home)
    os.environ["JUPYTER_RUNTIME_DIR"] = str(home / "runtime")  # connection files stay in tmp too
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), saved["PYTHONPATH"]]))
    try:
        notebook = nbformat.read(NOTEBOOK, as_version=4)
        NotebookClient(
            notebook,
            kernel_name=KERNEL,
            timeout=600,
            startup_timeout=120,
            resources={"metadata": {"path": str(workdir)}},
        ).execute()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return notebook, workdir


def outputs(notebook, source_start: str) -> list[dict]:
    """The outputs of the one code cell whose source starts with `source_start`."""
    cells = [
        cell for cell in notebook.cells if cell.cell_type == "code" and cell.source.startswith(source_start)
    ]
    assert len(cells) == 1, source_start
    return cells[0].outputs


def rich(notebook, source_start: str) -> dict:
    [result] = [out for out in outputs(notebook, source_start) if out.output_type == "execute_result"]
    return result.data


@contextmanager
def opened(document: Path, width: int = 1100, height: int = 760) -> Iterator:
    """`document` in headless Chromium, as a page, offline (it loads nothing but
    itself); a script error on it fails the test."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.route(
                "**/*",
                lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort(),
            )
            page.goto(document.as_uri())
            yield page
            assert errors == []
        finally:
            browser.close()


def embedded(page: str) -> dict:
    [island] = DATA.findall(page)
    return json.loads(island)


def torch_numbers(notebook) -> dict:
    [printed] = [out for out in outputs(notebook, "model.zero_grad()") if out.output_type == "stream"]
    return json.loads(printed.text)


def test_model_view_has_svg_html_and_svg_fallback(executed):
    notebook, _ = executed
    data = rich(notebook, "view = explore(model, x")
    page = data["text/html"]
    assert "<svg" in page and "function autogradPanZoom" in page and ".ae-explorer" in page
    assert not re.search(r"<(script|link|img)[^>]*\s(src|href)=", page)  # nothing to fetch
    for name in ("0.weight", "0.bias", "2.weight", "2.bias", "TanhBackward0", "AddmmBackward0"):
        assert name in page
    assert data["image/svg+xml"].lstrip().startswith(("<?xml", "<svg"))
    ET.fromstring(data["image/svg+xml"])


def test_embedded_values_and_gradients_equal_torch(executed):
    notebook, _ = executed
    record = embedded(rich(notebook, "view = explore(model, x")["text/html"])["record"]
    expected = torch_numbers(notebook)
    leaves = {node["name"]: node for node in record["nodes"] if node["kind"] == "leaf"}
    for name in ("0.weight", "0.bias", "2.weight", "2.bias"):
        np.testing.assert_allclose(
            record["final_grads"][leaves[name]["id"]], expected[name], rtol=1e-6, atol=1e-7
        )
    [output] = [node for node in record["nodes"] if node["kind"] == "output"]
    np.testing.assert_allclose(output["value"], expected["output"], rtol=1e-6)


def test_program_text_view_offers_one_view_per_pass(executed):
    notebook, _ = executed
    page = rich(notebook, 'explore("""')["text/html"]
    data = embedded(page)
    assert len(data["record"]["passes"]) == 2
    assert data["views"] == ["all passes", "Pass 1: y.backward()  line 4", "Pass 2: z.backward()  line 6"]
    assert page.count('<template class="ae-figure">') == 2 and 'class="ae-pass"' in page
    w = data["record"]["nodes"][[node["name"] for node in data["record"]["nodes"]].index("w")]
    assert data["record"]["final_grads"][w["id"]] == [5.0, 7.0]  # 2w + 3, accumulated over both passes


def test_every_output_has_its_own_ids(executed):
    notebook, _ = executed
    pages = [rich(notebook, start)["text/html"] for start in ("view = explore(model, x", 'explore("""')]
    roots = [re.search(r'class="ae-explorer" id="([^"]+)"', page).group(1) for page in pages]
    assert roots[0] != roots[1]
    for root, page in zip(roots, pages, strict=True):
        ids = re.findall(r'\sid="([^"]+)"', page)
        assert ids and all(found == root or found.startswith(root + "-") for found in ids)


def test_saved_files_are_valid_figures(executed):
    notebook, workdir = executed
    ET.parse(workdir / "fig.svg")
    assert (workdir / "fig.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert (workdir / "fig.pdf").read_bytes().startswith(b"%PDF-")


def test_the_executed_notebook_lists_the_finding(executed):
    """The findings under the figure (tests/frontends/test_notebook_findings_list.py) in a real kernel."""
    notebook, _ = executed
    output = rich(notebook, "broken = explore(")
    [[kind, line, op, in_pass, _]] = rows(output["text/html"])
    assert (kind, line, op, in_pass) == ("Inf", "3", "SqrtBackward0", "Pass 1")
    assert "line 3: Inf first appears in the backward of pass 1" in output["text/plain"]


def test_clicking_a_node_shows_its_gradient(executed, tmp_path):
    require_chromium()
    from playwright.sync_api import expect

    notebook, _ = executed
    page_html = rich(notebook, "view = explore(model, x")["text/html"]
    record = embedded(page_html)["record"]
    weight = next(node for node in record["nodes"] if node["name"] == "0.weight")
    torch_grad = torch_numbers(notebook)["0.weight"]
    code = next(cell.source for cell in notebook.cells if cell.source.startswith("view = explore(model, x"))
    document = tmp_path / "notebook.html"
    document.write_text(
        f"<!doctype html><meta charset='utf-8'><title>explore</title>"
        f"<body style='margin:16px;font-family:sans-serif'>"
        f"<pre style='background:#f5f5f5;padding:8px'>{html.escape(code)}</pre>"
        f"{page_html}</body>",
        encoding="utf-8",
    )
    with opened(document) as page:
        view = page.locator(".ae-explorer")
        node = view.locator("g.node", has=page.locator(f"title:text-is('{weight['id']}')"))
        view.get_by_role("button", name="Fit").click()  # the whole graph in view
        node.click()
        inspector = view.locator(".ae-inspector")
        expect(inspector.locator("h4")).to_have_text("0.weight", timeout=30_000)
        cells = inspector.locator(".ae-grad td").all_text_contents()
        assert cells == [text for row in fmt.rows(torch_grad) for text in row]
        if os.environ.get("UPDATE_SCREENSHOT") == "1":
            page.screenshot(path=str(ROOT / "docs" / "notebook.png"), full_page=True)


class Hostile(torch.nn.Module):
    """A module whose parameter name is markup (a name may be any string
    without a dot); it reaches the labels, the JSON and the inspector."""

    NAME = "<img src=x onerror=alert(1)>"

    def __init__(self) -> None:
        super().__init__()
        self.register_parameter(self.NAME, torch.nn.Parameter(torch.tensor([1.0, 2.0])))

    def forward(self, x):
        return (getattr(self, self.NAME) * x).sum()


def test_program_supplied_text_stays_text(tmp_path):
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    view = explore(Hostile(), torch.tensor([3.0, 4.0]))
    printed = explore(
        "import torch\n"
        'w = torch.ones(2, requires_grad=True)\nprint("</script><script>alert(2)</script>")\n'
        "w.sum().backward()\n"
    )
    assert printed.record.prints == ["</script><script>alert(2)</script>"]
    pages = [view._repr_html_(), printed._repr_html_()]
    for page_html in pages:
        assert "<img" not in page_html and "<script>alert" not in page_html
    leaf = next(node for node in view.record.nodes if node.name == Hostile.NAME)
    document = tmp_path / "hostile.html"
    document.write_text(
        f"<!doctype html><meta charset='utf-8'><body>{''.join(pages)}</body>", encoding="utf-8"
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(document.as_uri())
            first = page.locator(".ae-explorer").first
            first.get_by_role("button", name="Fit").click()
            first.locator("g.node", has=page.locator(f"title:text-is('{leaf.id}')")).click()
            expect(first.locator(".ae-inspector dd").first).to_have_text(Hostile.NAME)
            assert dialogs == []
            assert page.locator(".ae-explorer img").count() == 0
        finally:
            browser.close()


def test_save_refuses_an_unknown_suffix_and_explore_an_unknown_target(tmp_path):
    view = explore(torch.nn.Linear(2, 1), torch.ones(1, 2))
    refused = r"cannot save 'fig\.jpg': the suffix must be one of \.svg, \.png, \.pdf"
    with pytest.raises(ValueError, match=refused):
        view.save(tmp_path / "fig.jpg")
    with pytest.raises(TypeError, match="not int"):
        explore(3)
    with pytest.raises(TypeError, match="takes no inputs"):
        explore("x = torch.ones(2)", torch.ones(2))


def test_import_graphs_stays_light():
    """`from graphs import explore` is looked up lazily: `import graphs` alone
    loads neither torch nor Graphviz's Python package."""
    code = "import sys, graphs; print(sorted({'torch', 'graphviz'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_training_loop_offers_every_kept_pass():
    passes = 15
    view = explore(
        f"import torch\nw = torch.ones(2, requires_grad=True)\nfor i in range({passes}):\n"
        f"    (w * w).sum().backward()\n"
    )
    # The recorder keeps the first and last passes of a loop in full (and, with a
    # spread, some between; every loss stays); the picker offers every one of them
    # (tests/frontends/test_notebook_passes.py: 22, and a page too large for them all).
    kept = [step.index for step in view.record.passes]
    assert kept[:3] == [0, 1, 2] and kept[-3:] == [passes - 3, passes - 2, passes - 1]
    assert len(view.record.losses) == passes
    data = embedded(view._repr_html_())
    titles = [f"Pass {index + 1}: (w * w).sum().backward()  line 4" for index in kept]
    assert data["views"] == ["all passes", *titles]
    w = next(node for node in data["nodes"].values() if node["name"] == "w")
    assert w["grads"][0]["rows"] == [[f"{2 * passes}.", f"{2 * passes}."]]  # accumulated: 2w per pass
    assert w["grads"][1]["rows"] == [["2.", "2."]]


def test_the_pass_picker_shows_each_pass_gradient(executed, tmp_path):
    """y = sum(w*w) then z = sum(3w), w = (1, 2): pass 1 sends 2w = (2, 4),
    pass 2 sends (3, 3), and w.grad after both is (5, 7)."""
    require_chromium()
    from playwright.sync_api import expect

    notebook, _ = executed
    page_html = rich(notebook, 'explore("""')["text/html"]
    w = next(node for node in embedded(page_html)["record"]["nodes"] if node["name"] == "w")
    document = tmp_path / "passes.html"
    document.write_text(f"<!doctype html><meta charset='utf-8'><body>{page_html}</body>", encoding="utf-8")
    with opened(document, height=900) as page:
        grad = page.locator(".ae-inspector .ae-grad td")
        page.get_by_role("button", name="Fit").click()
        page.locator("g.node", has=page.locator(f"title:text-is('{w['id']}')")).click()
        expect(grad).to_have_text(["5.", "7."])
        # The selection stays while the picker swaps the figure and the inspector follows it.
        for view, expected in (("1", ["2.", "4."]), ("2", ["3.", "3."])):
            page.locator("select.ae-pass").select_option(view)
            expect(grad).to_have_text(expected)
            expect(page.locator("g.node.selected title")).to_have_text(w["id"])


def test_a_chosen_pass_is_the_only_view():
    two_passes = (
        "import torch\nw = torch.ones(2, requires_grad=True)\n(w * w).sum().backward()\n"
        "(w * 3).sum().backward()\n"
    )
    data = embedded(explore(two_passes, pass_index=1)._repr_html_())
    assert data["views"] == ["Pass 2: (w * 3).sum().backward()  line 4"]
    w = next(node for node in data["nodes"].values() if node["name"] == "w")
    assert w["grads"] == [{"rows": [["3.", "3."]], "summary": None}]
    single = explore(torch.nn.Linear(2, 1), torch.ones(1, 2), pass_index=0)
    assert embedded(single._repr_html_())["views"] == ["Pass 1: backward()"]
    with pytest.raises(ValueError, match="pass 5 does not exist; the program made 2 backward pass"):
        explore(two_passes, pass_index=5)._repr_html_()


def test_a_large_model_opens_folded_and_a_box_says_how_to_open_it(tmp_path):
    """A notebook page is static: a click on a folded module names the call that
    opens it (an open module's label: the call that closes it), and
    `view.expand(key)` is the redraw."""
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True)
    model = torch.nn.TransformerEncoder(layer, 4, enable_nested_tensor=False)
    view = explore(model, torch.randn(2, 5, 16))
    folded = folded_view(view.record, view.options)
    (run,) = [box for box in folded.boxes if box.count > 1]  # layers 1-2 as one box
    assert run.expand not in view.open_modules()
    wider = view.expand(run.expand)
    assert run.expand in wider.open_modules() and wider.open_modules() > view.open_modules()
    assert wider.collapse(run.expand).open_modules() == view.open_modules()
    boxes = embedded(view._repr_html_())["boxes"]
    assert boxes[run.id] == {"title": run.title, "kind": run.kind, "count": run.count, "key": run.expand}

    require_chromium()
    from playwright.sync_api import expect

    document = tmp_path / "folded.html"
    document.write_text(f"<!doctype html><meta charset='utf-8'><body>{view._repr_html_()}</body>", "utf-8")
    with opened(document) as page:
        explorer = page.locator(".ae-explorer")
        explorer.get_by_role("button", name="Fit").click()
        explorer.locator("g.node", has=page.locator(f"title:text-is('{run.id}')")).click()
        inspector = explorer.locator(".ae-inspector")
        expect(inspector.locator("h4")).to_have_text(f"{run.title}  ×{run.count}", timeout=30_000)
        expect(inspector.locator("code.ae-open")).to_have_text(f'view.expand("{run.expand}")')
        (open_layer, *_) = folded.clusters  # an open module's label names the call that closes it
        cluster = explorer.locator("g.cluster", has=page.locator(f"title:text-is('{open_layer.id}')"))
        cluster.locator("text").first.click()
        expect(inspector.locator("code.ae-open")).to_have_text(f'view.collapse("{open_layer.key}")')
