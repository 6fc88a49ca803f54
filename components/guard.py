"""One part of the page at a time: a failure inside the explorer is its own, in one line.

The trusted side draws, folds and tabulates data that came from a stranger's
program. The gate (`graphs.record.decode`) refuses what does not fit the record, but
should a view still trip on something, the page says that the explorer
failed, in which part and with which error type, that the program itself may
be fine, and goes on drawing the other parts. The traceback goes to the
server's log for the operator, never to the page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from components.i18n import _

LOG = logging.getLogger("autograd_explorer")


def failure_text(action: str, exc: Exception) -> str:
    """The one line a failure of ours shows (`action`: "drawing the graph")."""
    text = _("Autograd Explorer failed while {action} ({error}); the program itself may be fine.")
    return text.format(action=action, error=type(exc).__name__)


@contextmanager
def part(action: str) -> Iterator[None]:
    """Show one part of the page; an exception in it becomes one line (`failure_text`).

    Streamlit's own control flow (`st.rerun`, `st.stop`) derives from
    BaseException and passes through untouched."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 (any failure of ours becomes one line)
        LOG.exception("failed while %s", action)
        st.error(failure_text(action, exc), icon=":material/bug_report:")
