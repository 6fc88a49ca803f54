"""The logic under the display controls and the export pane, without a script run:
the pass picker's choices, the options read back from the widgets' keys, which
layout a PNG is made from, and the DPI a capped PNG really gets."""

from __future__ import annotations

import pytest

from components import export_panel
from components.display import AS_TORCH, DEFAULTS, LAST_PASS, ViewOptions, from_widgets, pass_choices
from components.pipeline import Figure
from graphs.views.passes import ALL_PASSES


@pytest.mark.parametrize(
    ("count", "choices"),
    [(0, [LAST_PASS]), (1, [LAST_PASS, 0]), (3, [LAST_PASS, 0, 1, 2, ALL_PASSES])],
)
def test_all_passes_is_offered_only_from_two_passes_on(count, choices):
    assert pass_choices(count) == choices


def widgets(**changed) -> dict[str, object]:
    """The widgets' session state as the defaults leave it, with some keys changed."""
    state = {
        "opt_show_values": DEFAULTS.show_values,
        "opt_show_grads": DEFAULTS.show_grads,
        "opt_show_attrs": DEFAULTS.show_attrs,
        "opt_show_order": DEFAULTS.show_order,
        "opt_digits": AS_TORCH,
        "opt_rankdir": DEFAULTS.rankdir,
        "opt_theme": DEFAULTS.theme,
        "opt_classic": DEFAULTS.classic,
        "opt_pass_index": LAST_PASS,
    }
    return state | {f"opt_{name}": value for name, value in changed.items()}


def test_the_automatic_choices_read_back_as_none_and_the_defaults():
    assert from_widgets(widgets()) == DEFAULTS
    assert from_widgets(widgets()).digits is None and from_widgets(widgets()).pass_index is None


def test_an_emptied_segmented_control_keeps_the_default():
    assert from_widgets(widgets(rankdir=None, theme=None)) == DEFAULTS


def test_the_widgets_chosen_values_become_the_options():
    state = widgets(show_values=False, digits=3, rankdir="LR", theme="dark", classic=True, pass_index=1)
    assert from_widgets(state) == ViewOptions(
        show_values=False, digits=3, rankdir="LR", theme="dark", classic=True, pass_index=1
    )


def test_the_slide_png_is_made_from_the_slide_layout_and_a_dpi_from_the_figure(monkeypatch):
    made = []
    monkeypatch.setattr(export_panel, "export_bytes", lambda *args: made.append(args) or b"png")
    figure, slide = Figure(dot="digraph shown {}", svg=None), Figure(dot="digraph slide {}", svg=None)
    assert export_panel.png_export(figure, slide, None)() == b"png"
    export_panel.png_export(figure, slide, 300)()
    assert made == [("digraph slide {}", "png"), ("digraph shown {}", "png", 300)]


def svg_figure(width_pt: float) -> Figure:
    return Figure(dot="digraph {}", svg=f'<svg viewBox="0 0 {width_pt} 72"></svg>')


def test_a_png_over_the_size_cap_says_the_dpi_it_really_gets():
    small, big = svg_figure(720), svg_figure(7200)  # 10 and 100 inches wide at Graphviz's size
    assert export_panel.capped_dpi(small, 300) is None
    assert export_panel.capped_dpi(big, 96) == pytest.approx(export_panel.MAX_PIXELS / 100)
