"""Why isn't it learning: the record's findings under the graph (graphs.views.diagnosis).

One line per finding, in the order it happened: the program line, the op,
and the note the graph draws on its node (graphs.views.pitfalls), so the
panel, the figure and the inspector say the same thing in the page's
language. *Show* draws the finding's pass and makes its node the inspected
one; a NaN or Inf origin's button (*Jump to it*) does the same and asks the
step-through player for the step that runs the node. Every text that came
from the worker (an op's name) is escaped for Markdown.
"""

from __future__ import annotations

import streamlit as st

from components.i18n import _, translator
from components.inspector import select
from components.loss_curve import PASS_KEY, chosen_position
from components.markdown import escape
from components.player_view import request_step
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
                origin = finding.kind in ("nan", "inf")
                hint = _("Draws its pass and inspects its node; *Step through backward* then shows its step")
                show.button(
                    _("Jump to it") if origin else _("Show"),
                    key=f"finding_{position}",
                    help=hint if origin else None,
                    on_click=go_to,
                    args=(record, finding, origin),
                )


def go_to(record: GraphRecord, finding: Finding, origin: bool) -> None:
    """Draw the finding's pass (when kept and not drawn already), inspect its node,
    and for a NaN or Inf origin ask the player for its step."""
    kept = [i for i, run in enumerate(record.passes) if run.index == finding.pass_index]
    if kept and len(record.passes) > 1 and chosen_position(record) != kept[0]:
        st.session_state[PASS_KEY] = kept[0]
    select(finding.node)
    if origin:
        request_step(finding)


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
