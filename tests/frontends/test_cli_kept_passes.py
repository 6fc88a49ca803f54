"""`python -m graphs render FILE -o OUT.zip`: every kept pass as a file in a ZIP
(graphs/cli/kept_passes.py), through a real subprocess and real `dot`; each
file's gradient of w checked against the record `run --json` prints."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from graphs.cli.kept_passes import Zipped
from graphs.record.model import GraphRecord
from graphs.render.overlay import LEGEND_ID
from tests.frontends.test_cli import assert_one_line_error, cli
from tests.render.test_kept_passes import DESCENT, texts, w_grad


@pytest.fixture
def descent(tmp_path) -> Path:
    """Four passes of gradient descent on one weight: w's gradient shrinks tenfold each pass."""
    path = tmp_path / "descent.py"
    path.write_text(DESCENT)
    return path


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_every_kept_pass_is_a_file_with_that_pass_s_gradient(tmp_path, descent):
    out = tmp_path / "passes.zip"
    done = cli(
        "render", str(descent), "-o", str(out), "--digits", "4", "--theme", "slides", "--overlay", "grad-norm"
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # every pass drawn: nothing to note
    ran = cli("run", str(descent), "--json")
    record = GraphRecord.from_dict(json.loads(ran.stdout))
    files = members(out)
    assert list(files) == ["pass-0001.svg", "pass-0002.svg", "pass-0003.svg", "pass-0004.svg"]
    grads = [w_grad(record, position) for position in range(4)]
    assert grads == ["27.", "2.7000", "0.2700", "0.0270"]  # 2 * 3 * (3w - 1.5), w stepped by 0.05 * grad
    for position, svg in enumerate(files.values()):
        drawn = texts(svg)
        assert [grad for grad in grads if grad in drawn] == [grads[position]]  # this pass's, no other's
        assert f"pass {position + 1} · loss {record.losses[position].value:.4g}" in drawn
        assert f'<g id="{LEGEND_ID}" class="node">'.encode() in svg  # the overlay
        assert b'font-size="22.00"' in svg  # the slides theme
    assert "pass 1 · loss 20.25" in texts(files["pass-0001.svg"])


def test_each_pass_as_a_png_and_a_one_pass_program_as_one_file(tmp_path):
    out = tmp_path / "one.zip"
    done = cli("render", "two_layer_sigmoid", "-o", str(out), "--pass-format", "png")
    assert done.returncode == 0, done.stderr
    files = members(out)
    assert list(files) == ["pass-0001.png"] and files["pass-0001.png"].startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize(
    "args, fragments",
    [
        (
            ["-o", "no/such/dir/passes.zip"],
            ["cannot write no/such/dir/passes.zip: no such directory 'no/such/dir'"],
        ),
        (["-o", "passes.zip", "--pass", "1"], ["--pass draws one pass; a .zip holds every kept pass"]),
        (["-o", "passes.zip", "--classic"], ["--classic draws one graph"]),
        (["-o", "passes.zip", "--dpi", "300"], ["--dpi: each PNG in a .zip is a 1080p slide"]),
        (["-o", "graph.svg", "--pass-format", "png"], ["--pass-format is the format of each file in a .zip"]),
        (["-o", "passes.zip", "--expand", "a b"], ["--expand: not a module path: 'a b'"]),
        (["-o", "graph.svg", "--expand", "a b"], ["--expand: not a module path: 'a b'"]),
    ],
)
def test_a_bad_output_or_option_is_one_line_before_the_program_runs(args, fragments, tmp_path):
    """The program fails when run: each error is the option's, so it came first."""
    failing = tmp_path / "failing.py"
    failing.write_text("raise RuntimeError('the program ran')\n")
    placed = [str(tmp_path / arg) if arg in ("passes.zip", "graph.svg") else arg for arg in args]
    assert_one_line_error(cli("render", str(failing), *placed), *fragments)
    assert list(tmp_path.iterdir()) == [failing]  # nothing written


def test_nothing_drawn_is_one_line_and_no_file(tmp_path, descent):
    out = tmp_path / "passes.zip"
    done = cli("render", str(descent), "-o", str(out), "--timeout", "0.5")  # below one pass's minimum
    assert_one_line_error(
        done, "no pass could be drawn: pass 1: not drawn: the export's time budget was used up"
    )
    assert not out.exists()
    forward = tmp_path / "forward.py"
    forward.write_text("import torch\nw = torch.ones(2, requires_grad=True)\ny = (w * w).sum()\n")
    assert_one_line_error(cli("render", str(forward), "-o", str(out)), "the program made no backward pass")
    assert not out.exists()


def test_passes_left_out_are_counted_on_stderr():
    assert Zipped(b"", 4, []).note("p.zip") is None
    left_out = Zipped(b"", 20, ["pass 21: not drawn: …", "pass 22: not drawn: …"])
    assert left_out.note("p.zip") == "2 of 22 passes not drawn: problems.txt in p.zip says why"
