"""The catalogue menu, grouped by topic, the lesson's explanation, and the program editor.

The editor's text lives in session state (`SOURCE_KEY`), and the program
that was last run separately (`RAN_KEY`): a failed run, an option change or
any rerun never touches what the user typed. `VERSION_KEY` counts the times
Python replaced the text (a pick, a link, a live edit): the editor swaps its
text only then, so a rerun never overwrites typing in progress.
"""

from __future__ import annotations

import streamlit as st

from components import code_link
from components.editor import code_editor, typed
from components.i18n import _, entry_explanation, entry_title, topic_title
from components.inspector import SELECT_KEY
from components.markdown import escape
from graphs.catalogue import TOPICS, by_topic, get

DEFAULT_ENTRY = "two_layer_sigmoid"  # seed 003: the first load is already a lesson
SOURCE_KEY = "source"
RAN_KEY = "ran_source"
ENTRY_KEY = "entry"
VERSION_KEY = "source_version"


def set_ran(source: str, keep_selection: bool = False) -> None:
    """Make `source` the program shown. A different program drops the node
    selection: ids are per record ("n3"), so a kept id would point at an
    unrelated node of the new graph (a live edit keeps it: same graph, new numbers)."""
    if st.session_state.get(RAN_KEY) != source and not keep_selection:
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


def catalogue_menu() -> None:
    """Every catalogue network as a button under its topic, in a menu; the
    explanation is the button's tooltip, and the current one is highlighted."""
    current = st.session_state.get(ENTRY_KEY)
    label = entry_title(get(current)) if current else _("Catalogue")
    with st.popover(escape(label), icon=":material/menu_book:", help=_("Pick a network from the catalogue")):
        for topic, entries in by_topic().items():
            st.caption(escape(topic_title(topic, TOPICS[topic])))
            for entry in entries:
                st.button(
                    escape(entry_title(entry)),
                    key=f"pick_{entry.slug}",
                    on_click=load,
                    args=(entry.slug,),
                    help=entry_explanation(entry),
                    width="stretch",
                    type="primary" if entry.slug == current else "secondary",
                )


def editor(error_line: int | None) -> None:
    """The code editor (Ctrl/Cmd+Enter runs) and its Run button."""
    state = st.session_state
    code_editor(
        state[SOURCE_KEY],
        state.get(VERSION_KEY, 0),
        state[RAN_KEY],
        error_line,
        stale_text=_("Edited — not run yet (Ctrl+Enter or Run)"),
        on_edit=take_typed,
        on_run=run_editor,
        linked_line=code_link.linked_line(state[RAN_KEY]),
        on_line=lambda line: code_link.link_line(state[RAN_KEY], line),
    )
    st.button(
        _("Run"),
        icon=":material/play_arrow:",
        type="primary",
        on_click=run_editor,
        key="run",
        help=_("Run the program (Ctrl+Enter / ⌘+Enter in the editor)"),
    )


def explanation() -> None:
    """What the current catalogue network teaches (Markdown with LaTeX), folded
    away so the graph owns the first screen."""
    slug = st.session_state.get(ENTRY_KEY)
    if slug:
        entry = get(slug)
        title = _("About: {title}").format(title=escape(entry_title(entry)))
        if entry.seed:  # the tutorial notebook a lesson comes from; the real models have none
            title += "  " + _("(seed {seed})").format(seed=entry.seed)
        with st.expander(title, expanded=False, icon=":material/school:"):
            st.markdown(entry_explanation(entry))
