"""One self-contained HTML view of a record: SVGs, inspector data, CSS, JS.

The output must work with no server and no network (a saved notebook opened
next year, Colab, VS Code's sandboxed output frame), so everything is inlined.
A notebook shows many outputs in one document, so every view gets its own
root id and the SVGs' element ids are prefixed with it; the script finds its
root from `document.currentScript`, never by a global id.

What came from the program (names, op names, print text in the record) is
escaped for where it lands: the SVG labels by `graphs.render`, option labels
by `html.escape`, and the JSON island by escaping `<`, `>` and `&` so no
string can close the script element.
"""

from __future__ import annotations

import html
import json
import math
import re
import uuid
from string import Template

from graphs import web
from graphs.notebook.passviews import Embedded, View
from graphs.record.model import GraphRecord, Node
from graphs.render.labels import title_of
from graphs.views import format as fmt
from graphs.views.folding import FoldedView
from graphs.views.passes import PassView

# The record a page embeds for whoever reads the saved output, at most this many
# bytes of JSON: a 22-pass MLP's is 3 MB and the 200-step LSTM's 9.4 MB, most of
# such a page. A larger one is left out (`record_left_out` says its size);
# `view.record` and `python -m graphs run --json` still give it.
RECORD_BYTES = 1_000_000

STATIC_HINT = "scroll to zoom · drag to pan · double-click to fit · click a node to inspect it"
LIVE_HINT = "scroll to zoom · drag to pan · click a box to open it, a module's label to close it"


def render(
    record: GraphRecord,
    views: list[View],
    svgs: list[str],
    digits: int | None = None,
    folded: list[FoldedView] = (),
    live: bool = False,
    embedded: Embedded | None = None,
    below: str = "",
) -> str:
    """The HTML for `record`, its `views` (graphs/notebook/passviews.py) drawn
    as `svgs`, then `below` (HTML of ours: the findings, graphs/notebook/findings.py);
    `folded` are the folding states they draw (a click on a box names how to
    open it); `embedded` says which kept passes the page had no room for. `live`
    leaves the script out: the widget (widget.py) mounts the page itself and
    asks its kernel to open what is clicked."""
    root_id = f"ae-{uuid.uuid4().hex[:12]}"
    figures = [_prefix_ids(svg, root_id) for svg in svgs]
    picker = ""
    if len(views) > 1:
        choices = "".join(
            f'<option value="{i}">{html.escape(label)}</option>' for i, (label, _) in enumerate(views)
        )
        picker = f'<label>view <select class="ae-pass">{choices}</select></label>{_left_out_note(embedded)}'
    templates = "".join(f'<template class="ae-figure">{svg}</template>' for svg in figures[1:])
    return (
        Template(web.text("view.html")).substitute(
            root_id=root_id,
            css=web.text("view.css"),
            picker=picker,
            svg=figures[0],
            templates=templates,
            data=_json_island(_view_data(record, views, digits, folded, with_record=not live)),
            hint=LIVE_HINT if live else STATIC_HINT,
            script="" if live else _static_script(),
        )
        + below
    )


def _left_out_note(embedded: Embedded | None) -> str:
    """What the picker does not offer, and the call that draws it (numbers of ours)."""
    if embedded is None or not embedded.left_out:
        return ""
    count = len(embedded.left_out)
    where = ", ".join(str(index) for index in embedded.left_out)
    return (
        f'<span class="ae-hint">{count} kept {"pass" if count == 1 else "passes"} left out to keep '
        f"this page under {embedded.budget / 1e6:g} MB of figures: view.svg(i) draws one, i in {where}</span>"
    )


def _static_script() -> str:
    """The static page mounts the output it sits in; the live widget mounts its own."""
    code = "\n".join(
        [web.text("panzoom.js"), web.text("view.js"), "autogradMountStatic(document.currentScript);"]
    )
    return f"<script>\n{code}\n</script>"


def _view_data(
    record: GraphRecord,
    views: list[tuple[str, int | None]],
    digits: int | None,
    folded: list[FoldedView] = (),
    with_record: bool = True,
) -> dict:
    """What the inspector shows, formatted by the core exactly as the node
    labels are, plus the record itself (up to `RECORD_BYTES`) for anyone
    reading a saved output (not in the live widget's pages: it would be
    resent on every click)."""
    boxes = {box.id: box for view in folded for box in view.boxes}.values()
    clusters = {cluster.id: cluster for view in folded for cluster in view.clusters}.values()
    data = {
        "views": [label for label, _ in views],
        "nodes": {node.id: _node_data(record, node, views, digits) for node in record.nodes},
        "boxes": {
            box.id: {"title": box.title, "kind": box.kind, "count": box.count, "key": box.expand}
            for box in boxes
        },
        "clusters": {
            cluster.id: {"label": cluster.label, "key": cluster.key, "parent": cluster.parent}
            for cluster in clusters
        },
        "placed": {node: cluster for view in folded for node, cluster in view.placed.items()},
    }
    if with_record:
        whole = record.to_dict()
        size = len(json.dumps(_finite(whole), separators=(",", ":"), allow_nan=False))
        data.update({"record": whole} if size <= RECORD_BYTES else {"record_left_out": size})
    return data


def _node_data(record: GraphRecord, node: Node, views, digits: int | None) -> dict:
    grads, steps = [], []
    for _, index in views:
        facts = PassView(record, index).facts(node.id)
        grad = facts.grad_after if facts.grad is None and facts.has_grad_after else facts.grad
        grads.append(_shown(fmt.shown(grad, node.shape, digits)))
        steps.append(facts.step)
    return {
        "title": title_of(node),
        "name": node.name,
        "op": node.op or node.kind,
        "shape": fmt.shape_text(node.shape),
        "dtype": node.dtype,
        "requires_grad": node.requires_grad,
        "value": _shown(fmt.shown(node.value, node.shape, digits)),
        "grads": grads,
        "steps": steps,
    }


def _shown(view: fmt.Shown) -> dict:
    return {"rows": view.rows, "summary": view.summary}


def _json_island(data: dict) -> str:
    """Strict JSON (the browser's JSON.parse refuses NaN) that cannot end its
    <script> element or open a comment."""
    text = json.dumps(_finite(data), separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _finite(data):
    """Non-finite numbers (a diverged model has them) as the strings torch prints."""
    if isinstance(data, float) and not math.isfinite(data):
        return "nan" if math.isnan(data) else ("inf" if data > 0 else "-inf")
    if isinstance(data, dict):
        return {key: _finite(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_finite(value) for value in data]
    return data


_ID = re.compile(r'(<[^>]*?\s)id="')


def _prefix_ids(svg: str, root_id: str) -> str:
    """Graphviz ids ("n3", "graph0", "edge2") made unique to this output."""
    return _ID.sub(lambda m: f'{m.group(1)}id="{root_id}-', svg)
