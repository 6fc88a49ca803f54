"""`Explorer.widget()`: the live notebook view that opens a clicked module.

The Python side is driven through ipywidgets' own message dispatch (what a
front end's `model.send` arrives as) and its pages are read for the figure's
nodes and clusters; the front end runs for real: a JupyterLab server on
127.0.0.1 with a kernel of this interpreter, opened in headless Chromium, a
cell executed, a folded box clicked and the figure it redraws measured.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest

from graphs.notebook.page import LIVE_HINT
from graphs.render import folded_view
from tests.serving import CHROMIUM, CHROMIUM_ARGS, free_port, require_chromium, serving, write_kernel_spec

pytest.importorskip("anywidget", reason='the notebook extra: pip install "autograd-explorer[notebook]"')

ROOT = Path(__file__).resolve().parents[2]
KERNEL = "autograd-explorer-widget-test"
DATA = re.compile(r'<script type="application/json" class="ae-data">(.*?)</script>', re.S)
SVG = re.compile(r"<svg.*?</svg>", re.S)
# The model of the cell the browser runs and of the in-process tests: four
# encoder layers fold (layers 1-2 as one ×2 box), each layer holds ~60 ops.
MODEL = """\
import torch
from graphs import explore
torch.manual_seed(0)
layer = torch.nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True)
model = torch.nn.TransformerEncoder(layer, 4, enable_nested_tensor=False)
view = explore(model, torch.randn(2, 5, 16))
"""


@pytest.fixture(scope="module")
def view():
    scope: dict = {}
    exec(MODEL, scope)
    return scope["view"]


def run_box(view):
    """The ×N box of the first view, and the cluster its key draws when open with what
    that cluster holds: the layer's own ops and its sub-modules' boxes (ids are stable:
    a box is "m" + the index of its module call)."""
    (run,) = [box for box in folded_view(view.record, view.options).boxes if box.count > 1]
    opened = folded_view(view.record, view.expand(run.expand).options)
    (cluster,) = [cluster for cluster in opened.clusters if cluster.key == run.expand]
    inner = {item for item, at in opened.placed.items() if at == cluster.id}
    return run, cluster, inner


def drawn(page: str) -> set[str]:
    """The <title>s of the page's first figure: its node, box and cluster ids, as Graphviz drew them."""
    svg = ET.fromstring(SVG.search(page).group())
    return {title.text for title in svg.iter("{http://www.w3.org/2000/svg}title")}


def click(widget, action: str, key) -> None:
    """A front end's `model.send({action, key})`, as ipywidgets hands it to the widget."""
    widget._handle_custom_msg({"action": action, "key": key}, [])


def test_a_click_opens_a_folded_module_and_a_second_closes_it(view):
    run, cluster, inner = run_box(view)
    widget = view.widget()
    first = widget.page
    assert run.id in drawn(first) and not inner & drawn(first) and cluster.id not in drawn(first)
    assert LIVE_HINT in first and "autogradMountStatic" not in first  # the widget mounts it itself

    click(widget, "expand", run.expand)
    assert widget.error == ""
    assert cluster.id in drawn(widget.page) and inner <= drawn(widget.page) and len(inner) >= 8
    data = json.loads(DATA.search(widget.page).group(1))
    assert data["clusters"][cluster.id]["key"] == run.expand
    assert all(data["placed"][node] == cluster.id for node in inner)
    assert run.expand in widget.explorer.open_modules()

    click(widget, "collapse", run.expand)
    assert widget.error == "" and drawn(widget.page) == drawn(first)


def test_an_unknown_key_is_one_line_and_keeps_the_figure(view):
    widget = view.widget()
    before = widget.page
    click(widget, "expand", "layers.9")
    assert widget.error == (
        "no module call 'layers.9' in this graph; "
        "a folded box's inspector shows its key (like 'layers.1' or 'cell@499')"
    )
    assert widget.page == before
    click(widget, "open", "layers.1")
    assert widget.error.startswith("cannot 'open' 'layers.1':") and "\n" not in widget.error
    run, _, _ = run_box(view)
    click(widget, "expand", run.expand)  # the next good click clears the line
    assert widget.error == "" and widget.page != before
    with pytest.raises(ValueError, match="no module call 'layers.9'"):
        view.expand("layers.9")


def test_the_core_imports_and_draws_without_anywidget():
    """anywidget is an extra: without it the static page works and widget() says what to install."""
    code = textwrap.dedent(
        """
        import sys
        sys.modules["anywidget"] = None  # as if not installed
        import torch
        from graphs import explore
        view = explore(torch.nn.Linear(2, 1), torch.ones(1, 2))
        assert "autogradMountStatic(document.currentScript)" in view._repr_html_()
        try:
            view.widget()
        except ModuleNotFoundError as err:
            print(err)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (
        done.stdout.strip() == 'Explorer.widget() needs anywidget: pip install "autograd-explorer[notebook]"'
    )


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """A JupyterLab server on 127.0.0.1 (token, no browser, a temporary root with
    the notebook, temporary config, settings and kernel spec, --allow-root for CI),
    that fetches no news, checks for no updates and asks PyPI for no extensions;
    stopped when the module ends."""
    home = tmp_path_factory.mktemp("lab")
    root = home / "root"
    for folder in (root, home / "config"):
        folder.mkdir(parents=True)
    write_kernel_spec(
        home / "data" / "kernels", KERNEL, "Autograd Explorer widget test", {"PYTHONPATH": str(ROOT)}
    )
    (home / "config" / "jupyter_server_config.json").write_text(
        json.dumps(
            {
                "LabApp": {
                    "news_url": None,
                    "check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
                    "extension_manager": "readonly",  # lists no PyPI packages
                },
                "ServerApp": {"open_browser": False},
            }
        )
    )
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(MODEL + "view.widget()")])
    notebook.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Autograd Explorer widget test"}
    nbformat.write(notebook, root / "live.ipynb")
    token, port = secrets.token_hex(16), free_port()
    env = {
        **os.environ,
        "JUPYTER_PATH": str(home / "data"),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
    }
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
        "--ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
    ]  # fmt: skip
    with serving(
        command, port, home / "lab.log", cwd=root, env=env, health="/api", answer=b'"version"'
    ) as url:
        yield url, token


def run_cell(page) -> None:
    """Run the notebook's cell through JupyterLab's own command, once the notebook's
    kernel session is ready (`expose_app_in_browser` gives the page `window.jupyterapp`):
    a click on the menu while the notebook is still being set up is dropped without a trace."""
    page.wait_for_function(
        "() => { const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
        " return !!(panel && panel.sessionContext && panel.sessionContext.session"
        " && panel.sessionContext.session.kernel); }",
        timeout=120_000,
    )
    page.evaluate(
        """async () => {
            const app = window.jupyterapp;
            const panel = app.shell.currentWidget;
            await panel.context.ready;
            await panel.sessionContext.ready;
            await app.commands.execute("notebook:run-all-cells");
        }"""
    )


def test_clicking_a_folded_box_in_jupyterlab_opens_it(jupyterlab, view):
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    url, token = jupyterlab
    run, cluster, inner = run_box(view)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{url}/lab/tree/live.ipynb?token={token}")
            run_cell(page)
            explorer = page.locator(".jp-OutputArea .ae-explorer")
            box = explorer.locator("g.node", has=page.locator(f"title:text-is('{run.id}')"))
            expect(box).to_be_attached(timeout=180_000)
            explorer.get_by_role("button", name="Fit").click()
            scale = explorer.locator(".ae-viewport svg").evaluate("svg => svg.style.transform")
            first = set(explorer.locator(".ae-viewport svg title").all_text_contents())
            assert run.id in first and not inner & first
            box.click()

            opened = explorer.locator("g.cluster", has=page.locator(f"title:text-is('{cluster.id}')"))
            expect(opened).to_be_attached(timeout=60_000)
            titles = set(explorer.locator(".ae-viewport svg title").all_text_contents())
            assert inner <= titles and cluster.id not in first
            # the redraw kept the reader's pan and zoom
            assert explorer.locator(".ae-viewport svg").evaluate("svg => svg.style.transform") == scale
            expect(explorer).not_to_have_class(re.compile("ae-busy"))

            opened.locator("text").first.click()  # its label (Graphviz draws clusters flat): close it
            expect(opened).not_to_be_attached(timeout=60_000)
            assert set(explorer.locator(".ae-viewport svg title").all_text_contents()) == first
        finally:
            browser.close()
