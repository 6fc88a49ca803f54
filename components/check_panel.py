"""Gradient check in the app: autograd against float64 finite differences (`graphs.worker.check`).

It runs the program several times (two runs per leaf entry), so it starts on
a button press, not on every rerun; the result is cached by program text and
pass like every other result of the pipeline.
"""

from __future__ import annotations

import streamlit as st

from components.cache import cached
from components.i18n import _
from components.markdown import escape
from components.tables import as_markdown_table
from graphs.api import check_source
from graphs.errors import ProgramError
from graphs.record.check import ATOL, EPS, RTOL
from graphs.record.model import GraphRecord
from graphs.views.check import check_frame
from graphs.views.passes import ALL_PASSES

RESULT_KEY = "check_result"


@cached(lambda found: len(str(found)))  # the panel shows its own spinner, translated
def _check(source: str, pass_index: int) -> dict | str:
    try:
        return check_source(source, pass_index)
    except ProgramError as err:
        return str(err)


def check_panel(source: str, record: GraphRecord, pass_index: int | None) -> None:
    if not record.passes:
        st.info(_("The program makes no backward pass: there is no gradient to check."))
        return
    chosen = record.passes[-1 if pass_index in (None, ALL_PASSES) else pass_index].index
    st.caption(
        _(
            "Pass {number}: each leaf entry nudged by ±{eps} in float64; an entry agrees when "
            "its relative error is at most {rtol} or its absolute error at most {atol}."
        ).format(number=chosen + 1, eps=f"{EPS:g}", rtol=f"{RTOL:g}", atol=f"{ATOL:g}")
    )
    if st.button(_("Check gradients"), key="run_check", icon=":material/rule:"):
        st.session_state[RESULT_KEY] = (source, chosen)
    if st.session_state.get(RESULT_KEY) != (source, chosen):
        return
    with st.spinner(_("Checking gradients by finite differences…")):  # always drawn here: nothing shifts
        result = _check(source, chosen)
    if isinstance(result, str):
        st.error(escape(result), icon=":material/error:")
        return
    with st.container(key="check_table"):
        st.table(as_markdown_table(check_frame(result)), hide_index=True)
    if result["leaves_unchecked"]:
        st.caption(
            _("{count} more leaves not checked: the program runs too long to nudge them all.").format(
                count=result["leaves_unchecked"]
            )
        )
    if result["agrees"]:
        st.success(_("Every leaf's gradient agrees with its finite difference."))
    elif result["kinked"]:
        st.warning(
            _(
                "A gradient differs from its finite difference, in a program with kinks (ReLU, max "
                "pooling, abs, clamp): a nudge that crosses one makes the finite difference inexact, "
                "even at the 100× smaller step tried again. A wrong backward differs the same way: "
                "look at how far apart the numbers are."
            ),
            icon=":material/warning:",
        )
    else:
        st.error(_("A gradient disagrees with its finite difference: a backward is wrong."))
