"""The catalogue in the sidebar, grouped by topic, and the program editor.

The editor's text lives in session state (`SOURCE_KEY`), and the program
that was last run separately (`RAN_KEY`): a failed run, an option change or
any rerun never touches what the user typed. `VERSION_KEY` counts the times
Python replaced the text (a pick, a link, a live edit): the editor swaps its
text only then, so a rerun never overwrites typing in progress.
"""
from __future__ import annotations

import streamlit as st

from components.editor import code_editor, typed
from components.inspector import SELECT_KEY
from components.markdown import escape

from graphs.catalogue import TOPICS, by_topic, get

DEFAULT_ENTRY = "two_layer_sigmoid"   # seed 003: the first load is already a lesson
SOURCE_KEY = "source"
RAN_KEY = "ran_source"
ENTRY_KEY = "entry"
VERSION_KEY = "source_version"


def set_ran(source: str) -> None:
    """Make `source` the program shown. A different program drops the node
    selection: ids are per record ("n3"), so a kept id would point at an
    unrelated node of the new graph."""
    if st.session_state.get(RAN_KEY) != source:
        st.session_state.pop(SELECT_KEY, None)
    st.session_state[RAN_KEY] = source


def replace_text(source: str) -> None:
    """Put `source` into the editor (the editor takes it on its next draw)."""
    st.session_state[SOURCE_KEY] = source
    st.session_state[VERSION_KEY] = st.session_state.get(VERSION_KEY, 0) + 1


def load(slug: str) -> None:
    """Put a catalogue program into the editor and run it."""
    source = get(slug).source
    replace_text(source)
    set_ran(source)
    st.session_state[ENTRY_KEY] = slug


def load_typed(source: str) -> None:
    """Put a typed (shared) program into the editor and run it."""
    replace_text(source)
    set_ran(source)
    st.session_state[ENTRY_KEY] = None


def take_typed() -> None:
    """Adopt what the editor last reported (callback of its edits)."""
    text = typed(st.session_state.get(VERSION_KEY, 0))
    if text is not None:
        st.session_state[SOURCE_KEY] = text


def stale() -> bool:
    """The editor holds text that has not been run: the graph shows the last run."""
    return st.session_state[SOURCE_KEY] != st.session_state[RAN_KEY]


def run_editor() -> None:
    """Run what is in the editor. It stays tied to its catalogue entry only
    while it is that entry's program unchanged, so a shared link of an edited
    program carries the edited text."""
    take_typed()
    source = st.session_state[SOURCE_KEY]
    set_ran(source)
    slug = st.session_state.get(ENTRY_KEY)
    if slug and get(slug).source != source:
        st.session_state[ENTRY_KEY] = None


def catalogue_sidebar() -> None:
    """Every catalogue network as a button under its topic; the explanation
    is the button's tooltip, and the current one is highlighted."""
    st.subheader("Catalogue")
    current = st.session_state.get(ENTRY_KEY)
    for topic, entries in by_topic().items():
        st.caption(TOPICS[topic])
        for entry in entries:
            st.button(escape(entry.title), key=f"pick_{entry.slug}", on_click=load, args=(entry.slug,),
                      help=entry.explanation, width="stretch",
                      type="primary" if entry.slug == current else "secondary")


def editor(error_line: int | None) -> None:
    """The code editor (Ctrl/Cmd+Enter runs) and its Run button."""
    state = st.session_state
    code_editor(state[SOURCE_KEY], state.get(VERSION_KEY, 0), state[RAN_KEY], error_line,
                stale_text="Edited — not run yet (Ctrl+Enter or Run)",
                on_edit=take_typed, on_run=run_editor)
    st.button("Run", icon=":material/play_arrow:", type="primary", on_click=run_editor, key="run",
              help="Run the program (Ctrl+Enter / ⌘+Enter in the editor)")


def explanation() -> None:
    """What the current catalogue network teaches (Markdown with LaTeX)."""
    slug = st.session_state.get(ENTRY_KEY)
    if slug:
        entry = get(slug)
        with st.expander(f"About: {escape(entry.title)}  (seed {entry.seed})", expanded=True):
            st.markdown(entry.explanation)
