"""A training loop's story in two pieces: the loss of every pass as a chart,
and the optimizer steps kept in full (rule, and how each parameter moved).

A long loop keeps only a few passes in full (those the graph shows); the
curve is where every other pass is still visible.
"""

from __future__ import annotations

from collections.abc import Iterable

import altair as alt
import pandas as pd
import streamlit as st

from components.markdown import escape
from graphs.record.model import GraphRecord

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


def loss_curve(record: GraphRecord) -> None:
    frame = loss_frame(record)
    if frame is None:
        return
    kept = ", ".join(str(run.index + 1) for run in record.passes)
    st.markdown(f"**Loss, pass by pass** ({len(record.losses)} passes; in full: {escape(kept)})")
    st.altair_chart(loss_chart(frame), width="stretch")


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
