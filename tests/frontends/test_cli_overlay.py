"""`python -m graphs render FILE --overlay grad-norm`: the deep-sigmoid lesson
drawn with its nodes filled by gradient norm and the legend, through the CLI."""

from __future__ import annotations

from graphs.render.overlay import LEGEND_ID, palette
from graphs.render.themes import theme
from tests.frontends.test_cli import cli


def test_render_with_the_gradient_norm_overlay(tmp_path):
    out = tmp_path / "health.svg"
    done = cli("render", "deep_sigmoid", "-o", str(out), "--overlay", "grad-norm")
    assert done.returncode == 0, done.stderr
    svg = out.read_text()
    light = palette(theme("light"))
    assert f'id="{LEGEND_ID}"' in svg and "gradient norm (log scale)" in svg
    assert light[0] in svg and light[5] in svg  # the first layer's bin and the last's
    plain = tmp_path / "plain.svg"
    assert cli("render", "deep_sigmoid", "-o", str(plain)).returncode == 0
    assert LEGEND_ID not in plain.read_text() and light[0] not in plain.read_text()


def test_an_unknown_overlay_is_refused_by_name():
    done = cli("render", "deep_sigmoid", "-o", "x.svg", "--overlay", "loss")
    assert done.returncode == 2 and "invalid choice: 'loss'" in done.stderr
