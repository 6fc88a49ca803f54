"""The diagnosis in the notebook: the record's findings listed under the figure.

The figure marks each finding's node with its note (graphs.views.pitfalls, as
in the app and the CLI's `render`); the list says the rest in one row each:
what was found, the program line, the op, the pass and the CLI's one-line
description (graphs.views.diagnosis.describe). A large graph opens folded, and
a finding's node may sit in a box (the LSTM's vanishing step is one of 199):
its row then names the `view.expand(...)` call that draws the node and its
note. A healthy program lists nothing.

Every field comes from the worker (or the user's own kernel objects), so each
is escaped where it lands: `html.escape` in the page, and control characters
shown as their escapes (`\\x1b`) in the page and in the plain text a terminal prints.
"""

from __future__ import annotations

import dataclasses
import html

from graphs import web
from graphs.cli.terminal import terminal_safe
from graphs.record.model import Finding, GraphRecord
from graphs.views.diagnosis import describe
from graphs.views.folding import FoldedView
from graphs.views.module_tree import key_of

KIND_WORDS = {
    "nan": "NaN",
    "inf": "Inf",
    "vanishing": "vanishing gradient",
    "exploding": "exploding gradient",
    "dead_relu": "dead ReLU",
}
_COLUMNS = ("found", "line", "op", "pass", "what happened")


def pass_name(finding: Finding) -> str:
    """The pass as the page's picker names it (`pass_title` counts from 1), or "—"."""
    return "—" if finding.pass_index is None else f"Pass {finding.pass_index + 1}"


def told(finding: Finding) -> str:
    """`describe(finding)` with its pass counted from 1, as the picker and the
    pass column count: `describe` counts from 0, as the CLI does."""
    if finding.pass_index is None:
        return describe(finding)
    return describe(dataclasses.replace(finding, pass_index=finding.pass_index + 1))


def findings_html(record: GraphRecord, folded: FoldedView | None) -> str:
    """The findings as a table under the figure drawn with `folded` (None:
    unfolded), or "" for a healthy program."""
    if not record.findings:
        return ""
    head = "".join(f"<th>{column}</th>" for column in _COLUMNS)
    rows = "".join(_row(finding, opening(record, folded, finding.node)) for finding in record.findings)
    count = "1 finding" if len(record.findings) == 1 else f"{len(record.findings)} findings"
    return (
        f'<section class="ae-findings"><style>{web.text("findings.css")}</style>'
        f'<p class="ae-findings-title">Why isn\'t it learning? {count}</p>'
        f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></section>"
    )


def opening(record: GraphRecord, folded: FoldedView | None, node_id: str | None) -> tuple[str, ...]:
    """The module calls to open so the node is drawn, outermost first: from the
    call its box folds (a member of the box) down to the node's own. Empty
    when the node is drawn already, or has no module call."""
    if folded is None or node_id not in folded.hidden:
        return ()
    box = folded.box(folded.hidden[node_id])
    node = record.node(node_id)
    index_of = {(call.path, call.call): i for i, call in enumerate(record.modules)}
    index = index_of.get((node.module, node.call))
    keys: list[str] = []
    while index is not None:
        keys.append(key_of(record.modules[index]))
        if box is None or index in box.members:
            return tuple(reversed(keys))
        index = record.modules[index].parent
    return ()


def _row(finding: Finding, keys: tuple[str, ...]) -> str:
    what = told(finding)
    if keys:
        what += f"; folded into a box: view.expand({', '.join(repr(key) for key in keys)}) draws it"
    cells = (
        KIND_WORDS.get(finding.kind, finding.kind),
        "—" if finding.line is None else str(finding.line),
        finding.op or "—",
        pass_name(finding),
        what,
    )
    return "<tr>" + "".join(f"<td>{html.escape(terminal_safe(cell, True))}</td>" for cell in cells) + "</tr>"


def findings_lines(findings: list[Finding]) -> list[str]:
    """One line per finding for a plain-text front end (a terminal's IPython)."""
    return [terminal_safe(told(finding), one_line=True) for finding in findings]
