"""Why isn't it learning: the record's findings under the graph (graphs.views.diagnosis).

One line per finding, in the order it happened: the program line, the op,
and the note the graph draws on its node (graphs.views.pitfalls), so the
panel, the figure and the inspector say the same thing in the page's
language. *Show* makes its node the inspected one. Every text that came
from the worker (an op's name) is escaped for Markdown.
"""

from __future__ import annotations

import streamlit as st

from components.i18n import _, translator
from components.inspector import select
from components.markdown import escape
from graphs.record.model import Finding, GraphRecord
from graphs.views.pitfalls import Note, node_notes


def findings_panel(record: GraphRecord) -> None:
    if not record.findings:
        return
    notes = node_notes(record)
    with st.container(key="findings"):
        st.markdown("**" + _("Why isn't it learning?") + "**")
        for position, finding in enumerate(record.findings):
            text, show = st.columns([6, 1], vertical_alignment="center")
            text.warning(finding_text(finding, notes.get(finding.node or "")), icon=":material/troubleshoot:")
            if finding.node is not None:
                show.button(_("Show"), key=f"finding_{position}", on_click=select, args=(finding.node,))


def finding_text(finding: Finding, note: Note | None) -> str:
    """The finding in the page's language: its node's note, or (no node: a
    loss of a pass run without capture) what happened to the loss."""
    line = "?" if finding.line is None else finding.line
    if note is not None:
        op = escape(finding.op or "")
        return _("Line {line}, {op}: {note}").format(
            line=line, op=op, note=escape(note.translated(translator()))
        )
    if finding.kind == "exploding":
        return _("Line {line}: the loss grew a thousandfold by pass {pass_index}").format(
            line=line, pass_index=finding.pass_index
        )
    kind = "NaN" if finding.kind == "nan" else "Inf"
    return _("Line {line}: the loss of pass {pass_index} is {kind}").format(
        line=line, pass_index=finding.pass_index, kind=kind
    )
