"""`python -m graphs` as a user runs it: a real subprocess, real programs, real `dot`."""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from graphs.themes import THEMES

ROOT = Path(__file__).resolve().parents[1]


def cli(*args: str, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "graphs", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )


def assert_one_line_error(done: subprocess.CompletedProcess, *fragments: str) -> None:
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert "Traceback" not in done.stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture
def program(tmp_path, small_source) -> Path:
    path = tmp_path / "small.py"
    path.write_text(small_source)
    return path


def test_list_shows_catalogue_slugs_and_titles():
    done = cli("list")
    assert done.returncode == 0, done.stderr
    from graphs.catalogue import CATALOGUE

    lines = done.stdout.splitlines()
    assert len(lines) == len(CATALOGUE)
    for line, entry in zip(lines, CATALOGUE, strict=True):
        assert line.split()[0] == entry.slug and line.endswith(entry.title)


def test_run_json_has_the_record_fields(program):
    done = cli("run", str(program), "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    for node in data["nodes"]:
        assert {"id", "kind", "op", "name", "shape", "value"} <= set(node)
        assert not {"grad", "order"} & set(node)  # per-pass facts live in the passes only
        assert node["kind"] in ("op", "leaf", "output")
    by_name = {(n["kind"], n["name"]): n for n in data["nodes"]}
    w = by_name[("leaf", "w")]
    assert w["shape"] == [2, 2] and w["value"] == [[1.0, 2.0], [3.0, 4.0]]
    mm = next(n for n in data["nodes"] if n["op"] == "MmBackward0")
    assert mm["value"] == [[2.0], [5.0]]
    ids = {n["id"] for n in data["nodes"]}
    assert data["edges"] and all({e["src"], e["dst"]} <= ids for e in data["edges"])
    (run,) = data["passes"]
    assert {"title", "seed", "grads", "grad_after", "order", "chain"} <= set(run)
    assert run["kind"] == "backward" and run["title"] == "loss.backward()  line 6"
    assert run["seed"] == 1.0 and run["grads"][run["roots"][0]] == 1.0
    assert run["grads"][w["id"]] == run["grad_after"][w["id"]] == [[1.0, 0.5], [1.0, 0.5]]
    assert run["grads"][mm["id"]] == [[1.0], [1.0]] and run["order"][mm["id"]] >= 1
    (link,) = [entry for entry in run["chain"][mm["id"]] if entry["input"] == w["id"]]
    assert link["jacobian"] == [[1.0, 0.5, 0.0, 0.0], [0.0, 0.0, 1.0, 0.5]]  # dz/dw for z = w x


def test_run_table_from_stdin(small_source):
    done = cli("run", "-", stdin=small_source)
    assert done.returncode == 0, done.stderr
    title, header, *rows = done.stdout.splitlines()
    assert title == "Pass 1: loss.backward()  line 6"
    assert header.split() == ["id", "kind", "op", "name", "shape", "value", "grad", ".grad", "order"]
    leaf = next(row for row in rows if " w " in row)
    assert "[1., 2.; 3., 4.]" in leaf and leaf.count("[1.0000, 0.5000; 1.0000, 0.5000]") == 2


def test_render_formats_from_extension(tmp_path):
    svg, png = tmp_path / "g.svg", tmp_path / "g.png"
    done = cli(
        "render",
        "two_layer_sigmoid",
        "-o",
        str(svg),
        "--theme",
        "slides",
        "--attrs",
        "--no-values",
        "--digits",
        "2",
    )
    assert done.returncode == 0, done.stderr
    text = svg.read_text()
    assert '<g id="n0" class="node">' in text and 'font-size="22.00"' in text
    assert ">SigmoidBackward0<" in text and ">grad<" in text and ">value<" not in text
    assert "_sym_sizes = " in text  # saved attributes shown
    done = cli(
        "render",
        "two_layer_sigmoid",
        "-o",
        str(png),
        "--dpi",
        "72",
        "--rankdir",
        "LR",
        "--no-grads",
        "--no-order",
    )
    assert done.returncode == 0, done.stderr
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width > height  # LR: a wide figure


def test_render_one_pass(tmp_path):
    out = tmp_path / "pass.dot"
    done = cli("render", "jacobian_rows", "-o", str(out), "--pass", "1")
    assert done.returncode == 0, done.stderr
    leaf = next(line for line in out.read_text().splitlines() if "<B>a</B>" in line)
    grad_colour = THEMES["light"].grad
    assert re.findall(f'<FONT COLOR="{grad_colour}">([^<]*)</FONT>', leaf) == ["0.", "1.", "1."]  # row 1
    assert_one_line_error(
        cli("render", "jacobian_rows", "-o", str(out), "--pass", "7"),
        "pass 7 does not exist; the program made 3 backward pass(es)",
    )


def test_render_a_large_graph_folded_or_as_expanded(tmp_path):
    out = tmp_path / "rnn.dot"

    def drawn(*expand: str) -> tuple[int, int, bool]:
        done = cli("render", "rnn_unrolled", "-o", str(out), *expand)
        assert done.returncode == 0, done.stderr
        text = out.read_text()
        return text.count("->"), text.count("subgraph cluster_"), "×499" in text

    edges, clusters, repeated = drawn()  # the first view: at most 150 boxes
    assert edges < 150 and clusters >= 1 and repeated
    assert drawn("--expand", "none") == (3, 0, False)  # the loss, the target, one box for `model`
    assert drawn("--expand", "model,model.cell@499")[1:] == (2, True)  # model and its last step open
    assert drawn("--expand", "all")[0] > 5000 and drawn("--expand", "all")[1] == 0  # the plain graph
    assert_one_line_error(
        cli("render", "rnn_unrolled", "-o", str(out), "--expand", "bad key!"), "not a module path: 'bad key!'"
    )


def test_render_classic(tmp_path, program):
    out = tmp_path / "classic.dot"
    done = cli("render", str(program), "-o", str(out), "--classic")
    assert done.returncode == 0, done.stderr
    assert "MmBackward0" in out.read_text() and "AccumulateGrad" in out.read_text()


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["run", "no_such_network"], ["unknown network 'no_such_network'"]),
        (["run", "missing/file.py"], ["no such file: missing/file.py"]),
        (["render", "add_one", "-o", "out.gif"], ["cannot tell the format"]),
    ],
)
def test_bad_input_is_one_line(args, fragments):
    assert_one_line_error(cli(*args), *fragments)


def test_program_error_has_line_and_col(tmp_path):
    path = tmp_path / "bad.py"
    path.write_text("import torch\nx = torch.tensor(1.0) +\n")
    assert_one_line_error(cli("run", str(path)), "line 2, col 24: SyntaxError: invalid syntax")


def test_missing_dot_is_one_line(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path)}
    done = cli("render", "add_one", "-o", str(tmp_path / "g.svg"), env=env)
    assert_one_line_error(done, "apt-get install graphviz")
    assert not (tmp_path / "g.svg").exists()


def _cli_leaving_worker_state(*args: str) -> subprocess.CompletedProcess:
    """Run the CLI as `python -m graphs` does, and report at exit whether it started a fork server."""
    script = (
        "import atexit, runpy, sys\nfrom graphs.sandbox import client\n"
        "atexit.register(lambda: print('fork server started:', client._zygote is not None,\n"
        "                              file=sys.stderr))\n"
        f"sys.argv = ['graphs', *{list(args)!r}]\n"
        "runpy.run_module('graphs', run_name='__main__', alter_sys=True)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=300
    )


def test_a_catalogue_program_runs_in_the_cli_process_with_the_workers_record(program):
    """Start-up: our own program needs no fork server; its record is the one a worker gives."""
    from graphs.api import run_source
    from graphs.catalogue import CATALOGUE

    entry = CATALOGUE[0]
    done = _cli_leaving_worker_state("run", entry.slug, "--json")
    assert done.returncode == 0, done.stderr
    assert "fork server started: False" in done.stderr
    assert json.loads(done.stdout) == json.loads(run_source(entry.source).to_json())


def test_a_typed_program_from_the_cli_still_runs_in_a_worker(program):
    done = _cli_leaving_worker_state("run", str(program), "--json")
    assert done.returncode == 0, done.stderr
    assert "fork server started: True" in done.stderr
