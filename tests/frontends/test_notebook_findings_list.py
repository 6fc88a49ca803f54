"""The notebook lists the diagnosis's findings under the figure (graphs/notebook/findings.py):
one escaped row each, the call that draws a node folded into a box, nothing for a
healthy program, and the same lines in the plain-text repr (in a real kernel:
tests/frontends/test_notebook.py, whose notebook runs once)."""

from __future__ import annotations

import html

import torch

from graphs.catalogue import get
from graphs.notebook import explore
from graphs.record.model import Finding

SECTION = '<section class="ae-findings">'


def rows(page: str) -> list[list[str]]:
    """The findings table's cells, unescaped, row by row."""
    body = page[page.index(SECTION) :].split("<tbody>")[1].split("</tbody>")[0]
    return [
        [html.unescape(cell.split("</td>")[0]) for cell in row.split("<td>")[1:]]
        for row in body.split("<tr>")[1:]
    ]


def dead_relu_net() -> tuple[torch.nn.Module, torch.Tensor]:
    """Six ReLU units whose bias of -30 keeps them off for all 12 samples."""
    torch.manual_seed(0)
    layer = torch.nn.Linear(4, 6)
    torch.nn.init.constant_(layer.bias, -30.0)
    return torch.nn.Sequential(layer, torch.nn.ReLU(), torch.nn.Linear(6, 1)), torch.randn(12, 4)


def test_a_program_s_findings_are_listed_under_its_figure():
    view = explore(get("nan_sqrt").source)
    assert [(f.kind, f.line, f.op, f.pass_index) for f in view.findings] == [("inf", 5, "SqrtBackward0", 0)]
    page = view._repr_html_()
    assert page.index("</svg>") < page.index(SECTION)  # under the figure
    [[kind, line, op, in_pass, what]] = rows(page)
    assert (kind, line, op, in_pass) == ("Inf", "5", "SqrtBackward0", "Pass 1")
    # The description counts passes as the picker does, from 1 (the CLI's counts from 0).
    assert what == (
        "line 5: Inf first appears in the backward of pass 1: SqrtBackward0 made it from a finite gradient "
        f"(node {view.findings[0].node})"
    )
    assert "Inf first appears here (backward)" in view.svg()  # the figure marks the node


def test_a_healthy_program_lists_nothing():
    view = explore(get("two_layer_batch").source)
    assert view.findings == []
    assert SECTION not in view._repr_html_()
    assert repr(view).endswith(", no findings>")


def test_a_node_folded_into_a_box_gets_the_call_that_draws_it():
    model, x = dead_relu_net()
    folded = explore(model, x, folding=frozenset())  # every module a box
    [[kind, _, op, _, what]] = rows(folded._repr_html_())
    assert (kind, op) == ("dead ReLU", "ReluBackward0")
    assert what.endswith("; folded into a box: view.expand('1') draws it")
    assert "dead ReLU: 6 of 6 units get no gradient" not in folded.svg()
    assert "dead ReLU: 6 of 6 units get no gradient" in folded.expand("1").svg()
    [[*_, drawn]] = rows(explore(model, x)._repr_html_())  # small: drawn unfolded, the node in view
    assert "folded into a box" not in drawn


def test_every_field_of_a_finding_is_escaped():
    """A record is hostile data: an op name may be markup or control characters."""
    model, x = dead_relu_net()
    view = explore(model, x)
    hostile = '<img src=x onerror="alert(1)">\x1b]52;c;Zm9v\x07'
    view.record.findings = [
        Finding(kind="nan", stage="forward", line=3, op=hostile, node=None, pass_index=0),
        Finding(
            kind="vanishing",
            stage="backward",
            line=4,
            op="</td><script>x()</script>",
            norm=1e-9,
            reference=1.0,
            pass_index=0,
        ),
    ]
    page = view._repr_html_()
    section = page[page.index(SECTION) :]
    assert "<img" not in section and "<script>" not in section and "\x1b" not in section
    shown = hostile.replace("\x1b", "\\x1b").replace("\x07", "\\x07")  # control characters as escapes
    assert [row[2] for row in rows(page)] == [shown, "</td><script>x()</script>"]
    text = repr(view)
    assert "\x1b" not in text and "\x07" not in text and "\\x1b]52" in text
    assert text.splitlines()[0].endswith(", 2 found>")
