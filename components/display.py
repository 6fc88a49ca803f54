"""Display options: the controls (in the page's Display menu), their URL
form, and the core's `RenderOptions` they turn into.

Each control is a widget keyed `opt_<field>`, so restoring a shared link is
just writing those keys into session state before the widgets are drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import streamlit as st

from components.i18n import N_, _, translator
from components.tables import pass_name
from graphs.record.model import Pass
from graphs.render import RenderOptions
from graphs.render.overlay import GRAD_NORM
from graphs.views.passes import ALL_PASSES

THEMES = ("light", "dark", "slides")
# "auto": the direction (and wrapping) that shows the figure largest in its
# frame, laptop pane, phone or projector alike (`graphs.render.fit`).
RANKDIRS = {"auto": N_("Fit the screen"), "TB": N_("Top to bottom"), "LR": N_("Left to right")}
THEME_NAMES = {"light": N_("Light"), "dark": N_("Dark"), "slides": N_("Slides")}
DIGITS = (0, 1, 2, 3, 4, 5, 6, 8)
# Select boxes show None as "no choice", so the two "automatic" settings get
# names of their own in the widgets and become None in `ViewOptions`.
AS_TORCH = "as-torch"
LAST_PASS = "last-pass"


@dataclass(frozen=True)
class ViewOptions(RenderOptions):
    """Everything the sidebar controls: the figure's options plus the choice
    of the classic torchviz view. Hashable, so it can key caches."""

    classic: bool = False
    rankdir: str = "auto"

    def __post_init__(self) -> None:
        if self.rankdir not in RANKDIRS:
            raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}, not {self.rankdir!r}")
        self.render_options("TB")  # the figure's own checks

    def directions(self) -> tuple[str, ...]:
        """The directions to lay the figure out in: both when it is chosen to fit."""
        return ("TB", "LR") if self.rankdir == "auto" else (self.rankdir,)

    def render_options(self, rankdir: str | None = None) -> RenderOptions:
        kwargs = asdict(self)
        del kwargs["classic"]
        kwargs["rankdir"] = rankdir or self.rankdir
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
            elif (spec.name == "digits" and raw.isdigit() and int(raw) in DIGITS) or (
                spec.name == "pass_index" and (raw.isdigit() or raw == str(ALL_PASSES))
            ):
                found[spec.name] = int(raw)
            elif raw in _WORDS.get(spec.name, ()):
                found[spec.name] = raw
        return replace(DEFAULTS, **found)


DEFAULTS = ViewOptions()
# The options a link spells as one of a few words.
_WORDS = {"theme": THEMES, "rankdir": tuple(RANKDIRS), "overlay": (GRAD_NORM,)}


def restore(options: ViewOptions, overwrite: bool = True) -> None:
    """Put options into the widgets' session-state keys before they draw (the
    widgets take their values only from there, never from a `value=`)."""
    widget_values = {
        **asdict(options),
        "digits": _widget(options.digits, AS_TORCH),
        "pass_index": _widget(options.pass_index, LAST_PASS),
        "overlay": options.overlay is not None,  # a toggle
    }
    for name, value in widget_values.items():
        if overwrite or f"opt_{name}" not in st.session_state:
            st.session_state[f"opt_{name}"] = value


def _widget(value: int | None, automatic: str) -> int | str:
    return automatic if value is None else value


def _option(value: int | str) -> int | None:
    return value if isinstance(value, int) else None


def pass_choices(pass_count: int) -> list[int | str]:
    """The pass picker's options: the last pass, each pass kept, and "All passes" from two on."""
    return [LAST_PASS, *range(pass_count), *([ALL_PASSES] if pass_count > 1 else [])]


def from_widgets(state: Mapping[str, Any]) -> ViewOptions:
    """The options the widgets' session-state keys hold (an emptied segmented control keeps the default)."""
    return ViewOptions(
        show_values=state["opt_show_values"],
        show_grads=state["opt_show_grads"],
        show_attrs=state["opt_show_attrs"],
        show_order=state["opt_show_order"],
        digits=_option(state["opt_digits"]),
        rankdir=state["opt_rankdir"] or DEFAULTS.rankdir,
        theme=state["opt_theme"] or DEFAULTS.theme,
        classic=state["opt_classic"],
        pass_index=_option(state["opt_pass_index"]),
        overlay=GRAD_NORM if state.get("opt_overlay") else None,
    )


def _figure_toggles() -> None:
    """What the figure's boxes show: values, gradients, attributes, step numbers,
    and whether their fill tells each one's gradient norm (`graphs.render.overlay`)."""
    for name, label in (
        ("show_values", _("Forward values")),
        ("show_grads", _("Gradients")),
        ("show_attrs", _("Saved attributes")),
        ("show_order", _("Backward step numbers")),
        ("overlay", _("Colour by gradient norm")),
    ):
        st.toggle(label, key=f"opt_{name}")


def _look_controls(t: Callable[[str], str]) -> None:
    """How numbers, the layout and the colours look: decimals, direction, theme."""
    st.selectbox(
        _("Decimals"),
        (AS_TORCH, *DIGITS),
        key="opt_digits",
        format_func=lambda d: t(N_("As torch prints")) if d == AS_TORCH else str(d),
    )
    st.segmented_control(
        _("Direction"),
        list(RANKDIRS),
        format_func=lambda d: t(RANKDIRS[d]),
        key="opt_rankdir",
        help=_("*Fit the screen*: the direction and wrapping that show the graph largest"),
    )
    st.segmented_control(
        _("Theme"),
        THEMES,
        format_func=lambda name: t(THEME_NAMES[name]),
        key="opt_theme",
        help=_("*Slides*: large type, high contrast, for projectors"),
    )


def _pass_picker(passes_kept: list[Pass], t: Callable[[str], str]) -> None:
    """The backward pass to show; a choice the new record lacks falls back to the last pass."""
    pass_count = len(passes_kept)
    passes = pass_choices(pass_count)
    if st.session_state.get("opt_pass_index") not in passes:
        st.session_state["opt_pass_index"] = LAST_PASS
    names = {LAST_PASS: N_("Last pass"), ALL_PASSES: N_("All passes")}
    st.selectbox(
        _("Backward pass"),
        passes,
        key="opt_pass_index",
        format_func=lambda i: t(names[i]) if i in names else pass_name(passes_kept[i], t),
        disabled=pass_count < 2,
        help=_("Gradients and step numbers of one backward call, or of all of them"),
    )


def controls(passes_kept: list[Pass]) -> ViewOptions:
    """Draw the display controls and return what they are set to.

    `passes_kept` are the record's passes kept in full (a long program keeps
    its first and last few, and a spread between them): the picker offers each
    by its call, and "All passes"."""
    restore(DEFAULTS, overwrite=False)
    t = translator()
    _figure_toggles()
    _look_controls(t)
    _pass_picker(passes_kept, t)
    st.toggle(
        _("Classic torchviz view"),
        key="opt_classic",
        help=_("The same program drawn by torchviz.make_dot, for comparison"),
    )
    return from_widgets(st.session_state)


def projected(options: ViewOptions) -> ViewOptions:
    """The options on the projector: the slides theme, the direction that fills the screen,
    and no plain constants (inputs, targets), so the graph still reads at 24 px."""
    return replace(options, theme="slides", rankdir="auto", show_constants=False)


def toolbar_labels() -> dict[str, tuple[str, str]]:
    """The graph toolbar's buttons (text, tooltip) in the page's language."""
    return {
        "in": ("+", _("Zoom in")),
        "out": ("−", _("Zoom out")),
        "fit": (_("Fit"), _("Show the whole graph")),
        "actual": ("1:1", _("Readable size")),
        "projector": (_("Projector"), _("Fullscreen, large type (Esc to leave)")),
    }
