"""Display options: the sidebar controls, their URL form, and the core's
`RenderOptions` they turn into.

Each control is a widget keyed `opt_<field>`, so restoring a shared link is
just writing those keys into session state before the widgets are drawn.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace

import streamlit as st

from graphs.passview import ALL_PASSES, pass_title
from graphs.render import RenderOptions

THEMES = ("light", "dark", "slides")
RANKDIRS = {"TB": "Top to bottom", "LR": "Left to right"}
DIGITS = (0, 1, 2, 3, 4, 5, 6, 8)
# Select boxes show None as "no choice", so the two "automatic" settings get
# names of their own in the widgets and become None in `ViewOptions`.
AS_TORCH = "As torch prints"
LAST_PASS = "Last pass"


@dataclass(frozen=True)
class ViewOptions(RenderOptions):
    """Everything the sidebar controls: the figure's options plus the choice
    of the classic torchviz view. Hashable, so it can key caches."""

    classic: bool = False

    def render_options(self) -> RenderOptions:
        kwargs = asdict(self)
        del kwargs["classic"]
        return RenderOptions(**kwargs)

    def to_params(self) -> dict[str, str]:
        """Only the options that differ from the defaults, as strings."""
        out = {}
        for name, value in asdict(self).items():
            if value != getattr(DEFAULTS, name):
                out[name] = "1" if value is True else "0" if value is False else str(value)
        return out

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> ViewOptions:
        """Options from a link; anything unreadable keeps its default, because
        a hand-edited link should still open."""
        found = {}
        for spec in fields(cls):
            raw = params.get(spec.name)
            if raw is None:
                continue
            default = getattr(DEFAULTS, spec.name)
            if isinstance(default, bool):
                found[spec.name] = raw == "1"
            elif spec.name == "digits" and raw.isdigit() and int(raw) in DIGITS:
                found[spec.name] = int(raw)
            elif spec.name == "pass_index" and (raw.isdigit() or raw == str(ALL_PASSES)):
                found[spec.name] = int(raw)
            elif spec.name == "theme" and raw in THEMES:
                found[spec.name] = raw
            elif spec.name == "rankdir" and raw in RANKDIRS:
                found[spec.name] = raw
        return replace(DEFAULTS, **found)


DEFAULTS = ViewOptions()


def restore(options: ViewOptions, overwrite: bool = True) -> None:
    """Put options into the widgets' session-state keys before they draw (the
    widgets take their values only from there, never from a `value=`)."""
    widget_values = {**asdict(options), "digits": _widget(options.digits, AS_TORCH),
                     "pass_index": _widget(options.pass_index, LAST_PASS)}
    for name, value in widget_values.items():
        if overwrite or f"opt_{name}" not in st.session_state:
            st.session_state[f"opt_{name}"] = value


def _widget(value: int | None, automatic: str) -> int | str:
    return automatic if value is None else value


def _option(value: int | str) -> int | None:
    return value if isinstance(value, int) else None


def sidebar(passes_kept: list) -> ViewOptions:
    """Draw the display controls and return what they are set to.

    `passes_kept` are the record's passes kept in full (a long program keeps
    its first and last few): the picker offers each by its call, and "All passes"."""
    pass_count = len(passes_kept)
    restore(DEFAULTS, overwrite=False)
    st.subheader("Display")
    for name, label in (("show_values", "Forward values"), ("show_grads", "Gradients"),
                        ("show_attrs", "Saved attributes"), ("show_order", "Backward step numbers")):
        st.toggle(label, key=f"opt_{name}")
    st.selectbox("Decimals", (AS_TORCH, *DIGITS), key="opt_digits")
    st.segmented_control("Direction", list(RANKDIRS), format_func=RANKDIRS.get, key="opt_rankdir")
    st.segmented_control("Theme", THEMES, format_func=str.capitalize, key="opt_theme",
                         help="*Slides*: large type, high contrast, for projectors")
    passes = [LAST_PASS, *range(pass_count), *([ALL_PASSES] if pass_count > 1 else [])]
    if st.session_state.get("opt_pass_index") not in passes:
        st.session_state["opt_pass_index"] = LAST_PASS
    names = {LAST_PASS: LAST_PASS, ALL_PASSES: "All passes"}
    st.selectbox("Backward pass", passes, key="opt_pass_index",
                 format_func=lambda i: names.get(i) or pass_title(passes_kept[i]),
                 disabled=pass_count < 2,
                 help="Gradients and step numbers of one backward call, or of all of them")
    st.toggle("Classic torchviz view", key="opt_classic",
              help="The same program drawn by torchviz.make_dot, for comparison")
    state = st.session_state
    return ViewOptions(
        show_values=state["opt_show_values"], show_grads=state["opt_show_grads"],
        show_attrs=state["opt_show_attrs"], show_order=state["opt_show_order"],
        digits=_option(state["opt_digits"]), rankdir=state["opt_rankdir"] or DEFAULTS.rankdir,
        theme=state["opt_theme"] or DEFAULTS.theme, classic=state["opt_classic"],
        pass_index=_option(state["opt_pass_index"]),
    )
