"""Code and graph point at each other: a node picked in the graph marks the
program line that made it, and a line clicked in the editor outlines the
nodes it made (`Node.line`; the outline is `RenderOptions.highlight`).

One number holds the link, the linked line, with the program it belongs to
(a new program's line 5 is not the old one's) and whether the editor chose
it: only a line clicked in the editor changes the figure, so picking a node
keeps the graph as it is (a new figure would reset its zoom).
"""

from __future__ import annotations

import streamlit as st

from graphs.record.model import GraphRecord

KEY = "linked_line"


def link_line(source: str, line: int | None, from_editor: bool = True) -> None:
    st.session_state[KEY] = (source, line, from_editor)


def link_node(record: GraphRecord, node_id: str) -> None:
    """The node picked in the graph: link the line that made it (none for a leaf)."""
    line = next((node.line for node in record.nodes if node.id == node_id), None)
    link_line(record.source or "", line, from_editor=False)


def linked_line(source: str) -> int | None:
    """The linked line of `source`, if any."""
    held = st.session_state.get(KEY)
    return held[1] if held and held[0] == source else None


def highlight(record: GraphRecord) -> frozenset[str]:
    """The nodes made by the line clicked in the editor (outlined in the graph)."""
    held = st.session_state.get(KEY)
    line = linked_line(record.source or "")
    if line is None or not held[2]:
        return frozenset()
    return frozenset(node.id for node in record.nodes if node.line == line)
