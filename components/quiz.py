"""Quiz mode: the gradients are hidden, the student works one out and types it.

The teacher hides every gradient or those from a chosen node down (that node
and everything backward reaches from it: the inputs it sends gradient to).
The student picks a hidden node (in the graph or the inspector), types its
gradient (a number, or a tensor's entries row by row), and is told right or
wrong; a node answered right, or revealed on request, shows its gradient
again. The score counts first answers only, so trying until right does not
inflate it. `?quiz=1` in a link opens the view in quiz mode.

The renderer is told what to hide (`RenderOptions.hide_grads`): a hidden
gradient is drawn as "?" (each entry of a small tensor, the whole row of a
summary, a collapsed module's row of it), so the answer is in neither the
DOT nor the SVG. `hiding` gives the options a quiz's figure is drawn with,
and `worksheet` draws a figure's layout again for the exports.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import streamlit as st

from components import pipeline
from components.display import ViewOptions
from components.i18n import _, translator
from components.inspector import selected
from components.markdown import escape
from components.pipeline import Figure
from components.tables import node_label
from graphs.record.model import GraphRecord, Node
from graphs.views.passes import PassView

KEY = "quiz"
SCOPE_KEY = "quiz_scope"
ROOT_KEY = "quiz_root"
ANSWER_KEY = "quiz_answer"
STATE_KEY = "quiz_state"
ALL = "all"
BELOW = "below"
# Hand-worked answers: 2-3 significant digits are right. The absolute slack is
# relative to the tensor's largest entry, so "0" is not right for 1e-4.
RELATIVE, ABSOLUTE = 1e-2, 1e-3
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


@dataclass
class Progress:
    """What the student has done in this quiz (reset when the program changes)."""

    source: str = ""
    answered: set[str] = field(default_factory=set)  # answered right: gradient shown again
    revealed: set[str] = field(default_factory=set)  # given up on: shown again, no point
    attempted: set[str] = field(default_factory=set)  # first answer given (right or wrong)
    score: int = 0
    verdict: tuple[str, bool] | None = None  # (node id, right?) of the last answer


def restore(params: Mapping[str, str]) -> None:
    """`?quiz=1` opens the view in quiz mode."""
    st.session_state[KEY] = params.get("quiz") == "1"


def enabled() -> bool:
    return bool(st.session_state.get(KEY))


def toggle() -> None:
    st.toggle(_("Quiz"), key=KEY, help=_("Hide the gradients; students work them out"))


def progress(source: str) -> Progress:
    state = st.session_state.get(STATE_KEY)
    if state is None or state.source != source:
        state = st.session_state[STATE_KEY] = Progress(source=source)
    return state


def below(record: GraphRecord, root: str) -> set[str]:
    """`root` and every node backward reaches from it."""
    children: dict[str, list[str]] = {}
    for edge in record.edges:
        children.setdefault(edge.src, []).append(edge.dst)
    seen, todo = {root}, [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return seen


def hidden(record: GraphRecord) -> set[str]:
    """Ids of the nodes whose gradient is hidden now."""
    if not enabled():
        return set()
    root = st.session_state.get(ROOT_KEY)
    chosen = (
        below(record, root)
        if st.session_state.get(SCOPE_KEY) == BELOW and root
        else {node.id for node in record.nodes}
    )
    state = progress(record.source or "")
    return (
        {node.id for node in record.nodes if node.id in chosen and node.requires_grad}
        - state.answered
        - state.revealed
    )


def hides_grad(record: GraphRecord, node_id: str) -> bool:
    return node_id in hidden(record)


def hiding(options: ViewOptions, record: GraphRecord) -> ViewOptions:
    """The options with the hidden gradients left out of the drawing: what the
    quiz's figure is drawn with (`pipeline.figure`)."""
    return replace(options, hide_grads=frozenset(hidden(record)))


def worksheet(figure: Figure, secret: set[str]) -> Figure:
    """The figure as a quiz handout for the exports: its layout drawn again with
    the gradients of the nodes in `secret` as "?" (`pipeline.with_hidden_grads`),
    in the SVG and in the DOT that PNG and PDF are laid out from, so the files
    carry the questions and not the answers."""
    if not secret:
        return figure
    return pipeline.with_hidden_grads(figure, frozenset(secret))


def parse(answer: str) -> list[float]:
    """The numbers in an answer, in reading order ("[[1, 2], [3, 4]]", "1 2; 3 4", "0.5")."""
    return [float(text) for text in _NUMBER.findall(answer)]


def flatten(nested) -> list[float]:
    if isinstance(nested, list):
        return [value for item in nested for value in flatten(item)]
    return [float(nested)]


def is_right(answer: list[float], truth: list[float]) -> bool:
    slack = ABSOLUTE * max(map(abs, truth), default=0.0) or 1e-6
    return len(answer) == len(truth) and all(
        math.isclose(a, b, rel_tol=RELATIVE, abs_tol=slack) for a, b in zip(answer, truth, strict=True)
    )


def check(record: GraphRecord, node_id: str, pass_index: int | None = None) -> None:
    """Mark the typed answer for `node_id`, against the gradient the view's pass
    shows there (the Check button's callback)."""
    truth = PassView(record, pass_index).facts(node_id).grad
    state = progress(record.source or "")
    answer = parse(st.session_state.get(ANSWER_KEY, ""))
    right = truth is not None and is_right(answer, flatten(truth))
    if node_id not in state.attempted:
        state.attempted.add(node_id)
        state.score += right
    if right:
        state.answered.add(node_id)
    state.verdict = (node_id, right)


def reveal(record: GraphRecord, node_id: str) -> None:
    state = progress(record.source or "")
    state.attempted.add(node_id)
    state.revealed.add(node_id)
    state.verdict = None


def panel(record: GraphRecord, pass_index: int | None = None) -> None:
    """The quiz controls above the inspector (which shows the question's node):
    scope, question, answer, score."""
    by_id = {node.id: node for node in record.nodes}
    with st.container(border=True, key="quiz_panel"):
        _scope(record, by_id)
        state = progress(record.source or "")
        secret = hidden(record)
        st.markdown(
            _("**Score: {right} / {tried}** · {left} gradients still hidden").format(
                right=state.score, tried=len(state.attempted), left=len(secret)
            )
        )
        node_id = selected(record)
        node = by_id[node_id]
        if state.verdict and state.verdict[0] == node_id:
            if state.verdict[1]:
                st.success(_("Right: that is the gradient of {name}.").format(name=escape(node_label(node))))
            else:
                st.error(_("Not quite: try again, or reveal it."))
        if node_id not in secret:
            st.caption(_("Click a node whose gradient shows “?” to answer for it."))
            return
        _question(record, node, pass_index)


def _scope(record: GraphRecord, by_id: dict[str, Node]) -> None:
    """What is hidden: every gradient, or those from a chosen node down."""
    scopes = {ALL: _("All gradients"), BELOW: _("From a node down")}
    st.session_state.setdefault(SCOPE_KEY, ALL)
    st.segmented_control(_("Hide"), list(scopes), format_func=scopes.get, key=SCOPE_KEY, required=True)
    if st.session_state[SCOPE_KEY] != BELOW:
        return
    graded = [node.id for node in record.nodes if node.requires_grad]
    if st.session_state.get(ROOT_KEY) not in graded:
        st.session_state[ROOT_KEY] = graded[0] if graded else None
    t = translator()
    st.selectbox(
        _("Hide from this node down"),
        graded,
        key=ROOT_KEY,
        format_func=lambda i: f"{node_label(by_id[i], t)}  [{i}]",
    )


def _question(record: GraphRecord, node: Node, pass_index: int | None) -> None:
    """The question for a hidden node, the answer box, and Check / Reveal."""
    shape = "×".join(map(str, node.shape)) or _("a scalar")
    st.markdown(
        _("What is the gradient at **{name}** ({shape})?").format(name=escape(node_label(node)), shape=shape)
    )
    st.text_input(_("Your answer"), key=ANSWER_KEY, placeholder=_("e.g. 0.25, or 1 2; 3 4 for a matrix"))
    check_column, reveal_column = st.columns(2)
    check_column.button(
        _("Check"),
        key="quiz_check",
        on_click=check,
        args=(record, node.id, pass_index),
        type="primary",
        width="stretch",
    )
    reveal_column.button(
        _("Reveal"), key="quiz_reveal", on_click=reveal, args=(record, node.id), width="stretch"
    )
