"""A training loop's story in two pieces: the loss of every pass as a chart,
and the optimizer steps kept in full (rule, and how each parameter moved).

A long loop keeps only a few passes in full (those the graph shows); the
curve is where every other pass is still visible. It marks the kept passes
and the one drawn, and a slider under it (the scrubber) moves the graph, the
inspector and the player to another kept pass: it writes the pass picker's
own state (components.display), so the page has one chosen pass.
"""

from __future__ import annotations

from collections.abc import Iterable

import altair as alt
import pandas as pd
import streamlit as st

from components.i18n import _
from components.markdown import escape
from graphs.record.model import GraphRecord
from graphs.render.kept_passes import Captions

PASS_KEY = "opt_pass_index"  # the pass picker's widget (components.display): a position in record.passes
SCRUB_KEY = "scrub_pass"

# A loss falling over more than this factor is drawn on a log scale, where
# the late passes of a training loop are not a flat line along the axis.
LOG_RANGE = 100.0


def loss_frame(record: GraphRecord) -> pd.DataFrame | None:
    """One row per pass whose root was a single number, or None when fewer than two."""
    return points_frame((loss.index + 1, loss.value) for loss in record.losses)


def points_frame(points: Iterable[tuple[int, float | None]]) -> pd.DataFrame | None:
    """(pass, loss) points as the chart's rows, those without a loss left out;
    None when fewer than two are left (no curve to draw). A running program's
    reports give some of its passes (`components.running`), a record all of them."""
    rows = [{"pass": index, "loss": value} for index, value in points if value is not None]
    return pd.DataFrame(rows) if len(rows) >= 2 else None


def loss_chart(frame: pd.DataFrame) -> alt.Chart:
    low, high = frame["loss"].min(), frame["loss"].max()
    logarithmic = low > 0 and high / low > LOG_RANGE
    scale = alt.Scale(type="log") if logarithmic else alt.Scale(zero=False)
    title = "loss (log scale)" if logarithmic else "loss"
    return (
        alt.Chart(frame)
        .mark_line()
        .encode(
            x=alt.X("pass:Q", title="pass"),
            y=alt.Y("loss:Q", scale=scale, title=title),
            tooltip=["pass", "loss"],
        )
        .properties(height=220)
    )


def chosen_position(record: GraphRecord) -> int:
    """The kept pass the page draws (a position in `record.passes`): the
    picker's choice, or the last one ("Last pass", "All passes")."""
    chosen = st.session_state.get(PASS_KEY)
    in_range = isinstance(chosen, int) and 0 <= chosen < len(record.passes)
    return chosen if in_range else len(record.passes) - 1  # type: ignore[return-value]


def kept_marks(record: GraphRecord, chosen: int) -> alt.Chart:
    """A rule at each kept pass, the drawn one thicker and coloured."""
    rows = [{"pass": run.index + 1, "drawn": i == chosen} for i, run in enumerate(record.passes)]
    return (
        alt.Chart(pd.DataFrame(rows))
        .mark_rule()
        .encode(
            x="pass:Q",
            color=alt.condition("datum.drawn", alt.value("#d62728"), alt.value("#bbbbbb")),
            size=alt.condition("datum.drawn", alt.value(3), alt.value(1)),
        )
    )


def _scrubbed() -> None:
    st.session_state[PASS_KEY] = st.session_state[SCRUB_KEY]


def captions() -> Captions:
    """A kept pass's words (graphs.render.kept_passes.Captions) in the page's
    language: the slider's labels and the exported passes' captions."""
    return Captions(_("pass {number}"), _("loss {value}"))


def scrubber(record: GraphRecord, chosen: int) -> None:
    """The slider over the kept passes, labelled with each one's number and loss."""
    losses = {loss.index: loss.value for loss in record.losses}
    caption = captions()

    def label(position: int) -> str:
        index = record.passes[position].index
        return caption(index + 1, losses.get(index))

    st.session_state[SCRUB_KEY] = chosen
    st.select_slider(
        _("Move the graph to a kept pass"),
        options=list(range(len(record.passes))),
        format_func=label,
        key=SCRUB_KEY,
        on_change=_scrubbed,
    )


def loss_curve(record: GraphRecord) -> None:
    frame = loss_frame(record)
    if frame is None:
        return
    kept = ", ".join(str(run.index + 1) for run in record.passes)
    st.markdown(f"**Loss, pass by pass** ({len(record.losses)} passes; in full: {escape(kept)})")
    if len(record.passes) < 2:
        st.altair_chart(loss_chart(frame), width="stretch")
        return
    chosen = chosen_position(record)
    st.altair_chart(loss_chart(frame) + kept_marks(record, chosen), width="stretch")
    scrubber(record, chosen)


def steps_frame(record: GraphRecord) -> pd.DataFrame:
    """One row per parameter moved in each kept optimizer step."""
    rows = []
    for step in record.steps:
        for change in step.changes:
            rows.append(
                {
                    "step": step.index + 1,
                    "line": step.line,
                    "rule": step.rule,
                    "parameter": change.name or "(unnamed)",
                    "shape": "×".join(map(str, change.shape)),
                    "|change|": f"{change.change_norm:.4g}",
                    "before": "" if change.before is None else str(change.before),
                    "after": "" if change.after is None else str(change.after),
                }
            )
    return pd.DataFrame(rows)


def optimizer_steps(record: GraphRecord) -> None:
    if not record.step_count:
        return
    shown = len(record.steps)
    counted = f"{record.step_count}, {shown} shown" if shown < record.step_count else f"{record.step_count}"
    title = f"Optimizer steps ({counted})"
    with st.expander(title):
        st.dataframe(steps_frame(record), hide_index=True, width="stretch")
