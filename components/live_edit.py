"""Live edits: change a leaf's value beside the graph, and the program follows.

A leaf made from a literal (`w = torch.tensor([[1.0], [2.0]], ...)`) can be
edited in place: a number box for a scalar, a grid for a tensor up to 4×4.
The new numbers are written into the program text at the literal's position
(from Python's own parser), so the editor, the share link and the next run
all hold the same program; the graph is recomputed from that text. The node
selection stays: the graph keeps its shape, so its ids mean the same nodes.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from components.i18n import _
from components.inspector import selected
from components.picker import ENTRY_KEY, RAN_KEY, VERSION_KEY, replace_text, set_ran
from graphs.record.model import GraphRecord, Node

MAX_SIDE = 4
FACTORIES = {"tensor", "as_tensor"}


@dataclass(frozen=True)
class Literal:
    """Where a leaf's numbers are written in the program, and what they are."""

    start: tuple[int, int]  # (line, column) as `ast` gives them: 1-based lines, 0-based UTF-8 columns
    end: tuple[int, int]
    value: float | list

    @property
    def floats(self) -> bool:
        return _any_float(self.value)


def _any_float(value) -> bool:
    return any(map(_any_float, value)) if isinstance(value, list) else isinstance(value, float)


def find_literal(source: str, name: str) -> Literal | None:
    """The literal of the last `name = torch.tensor(<numbers>, ...)` in `source`."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    found = None
    for statement in ast.walk(tree):
        if not (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
            and statement.targets[0].id == name
        ):
            continue
        call = statement.value
        if not (
            isinstance(call, ast.Call)
            and call.args
            and isinstance(call.func, ast.Attribute)
            and call.func.attr in FACTORIES
        ):
            continue
        try:
            value = ast.literal_eval(call.args[0])
        except ValueError:
            continue
        if _numeric(value):
            arg = call.args[0]
            found = Literal((arg.lineno, arg.col_offset), (arg.end_lineno, arg.end_col_offset), value)
    return found


def _numeric(value) -> bool:
    if isinstance(value, list):
        return bool(value) and all(map(_numeric, value))
    return isinstance(value, int | float) and not isinstance(value, bool)


def rewrite(source: str, literal: Literal, value: float | list) -> str:
    """`source` with the literal's text replaced by `value` (ints stay ints if they were)."""
    lines = source.splitlines(keepends=True)

    def offset(line: int, column: int) -> int:  # ast columns count UTF-8 bytes
        return sum(len(text) for text in lines[: line - 1]) + len(lines[line - 1].encode()[:column].decode())

    start, end = offset(*literal.start), offset(*literal.end)
    return source[:start] + _text(value, literal.floats) + source[end:]


def _text(value, floats: bool) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_text(item, floats) for item in value) + "]"
    number = float(value)
    return repr(number) if floats or not number.is_integer() else str(int(number))


def apply(source: str, literal: Literal, value: float | list) -> None:
    """Put the edited program in the editor and run it, keeping the selection."""
    edited = rewrite(source, literal, value)
    replace_text(edited)
    set_ran(edited, keep_selection=True)
    st.session_state[ENTRY_KEY] = None


def live_edit(record: GraphRecord, source: str) -> None:
    """The value editor for the inspected node, when it is a leaf written as a literal."""
    node = next(n for n in record.nodes if n.id == selected(record))
    if node.kind != "leaf" or not node.name:
        return
    literal = find_literal(source, node.name)
    if literal is None or not _small(literal.value):
        return
    key = f"live_{node.id}_{st.session_state.get(VERSION_KEY, 0)}"
    with st.container(border=True, key="live_edit"):
        st.markdown(_("**Change {name}** (the program is rewritten and run again)").format(name=node.name))
        if isinstance(literal.value, list):
            _grid(node, literal, key)
        else:
            st.number_input(
                node.name,
                value=float(literal.value),
                step=0.1,
                format="%.4g",
                key=key,
                label_visibility="collapsed",
                on_change=_scalar_changed,
                args=(literal, key),
            )


def _small(value) -> bool:
    if not isinstance(value, list):
        return True
    rows = value if isinstance(value[0], list) else [value]
    return len(rows) <= MAX_SIDE and all(
        not isinstance(row[0], list) and len(row) <= MAX_SIDE for row in rows
    )


def _scalar_changed(literal: Literal, key: str) -> None:
    apply(st.session_state[RAN_KEY], literal, st.session_state[key])


def _grid(node: Node, literal: Literal, key: str) -> None:
    matrix = isinstance(literal.value[0], list)
    frame = pd.DataFrame(literal.value if matrix else [literal.value], dtype=float)
    frame.columns = [str(column) for column in frame.columns]
    st.data_editor(
        frame,
        key=key,
        hide_index=True,
        width="content",
        on_change=_grid_changed,
        args=(literal, key, frame, matrix),
    )


def _grid_changed(literal: Literal, key: str, frame: pd.DataFrame, matrix: bool) -> None:
    edited = frame.copy()
    for row, changes in st.session_state[key].get("edited_rows", {}).items():
        for column, value in changes.items():
            if value is not None:
                edited.iloc[int(row), int(column)] = float(value)
    rows = edited.to_numpy().tolist()
    apply(st.session_state[RAN_KEY], literal, rows if matrix else rows[0])
