"""The program editor: CodeMirror 6 in a `st.components.v2` component.

Its HTML, CSS and JavaScript are files beside this module; `editor.bundle.js`
is `editor.js` with CodeMirror built in (`build.sh`), so the page needs no
network. Python keeps the text (`SOURCE_KEY` in the picker); the component
shows it, reports edits when the user pauses, and asks for a run on
Ctrl/Cmd+Enter. Why a vendored editor rather than a Streamlit package is
said at the top of `editor.js`.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from graphs import web

HEIGHT = 360
KEY = "editor"


_EDITOR = st.components.v2.component(
    "autograd_editor",
    html=web.text("editor/editor.html"),
    css=web.text("editor/editor.css"),
    js=web.text("editor/editor.bundle.js"),
)


def typed(version: int) -> str | None:
    """What the user typed since Python last set the text (`version`), if anything."""
    doc = (st.session_state.get(KEY) or {}).get("doc")
    if doc and doc.get("version") == version:
        return doc["text"]
    return None


def code_editor(
    text: str,
    version: int,
    ran: str,
    error_line: int | None,
    stale_text: str,
    on_edit: Callable[[], None],
    on_run: Callable[[], None],
    height: int = HEIGHT,
    linked_line: int | None = None,
    on_line: Callable[[int], None] = lambda line: None,
) -> None:
    """The editor showing `text`; `on_edit` runs when its text reaches Python,
    `on_run` on Ctrl/Cmd+Enter, `on_line(n)` when the user clicks into line n
    (all as callbacks, before the script reruns). `linked_line` is marked (the
    line that made the node picked in the graph)."""

    def clicked() -> None:
        line = (st.session_state.get(KEY) or {}).get("line")
        if isinstance(line, int):
            on_line(line)

    _EDITOR(
        key=KEY,
        height=height + 28,
        data={
            "text": text,
            "version": version,
            "ran": ran,
            "errorLine": error_line,
            "linkedLine": linked_line,
            "staleText": stale_text,
            "height": height,
        },
        on_doc_change=on_edit,
        on_run_change=on_run,
        on_line_change=clicked,
    )
